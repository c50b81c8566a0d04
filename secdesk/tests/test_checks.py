"""The deployment checks (`secdesk check`, and the start of every long-running
command): each reports its problem, and a sound deployment gets no message."""

from ipaddress import ip_network

import pytest
from django.core.checks import ERROR, WARNING, run_checks

from secdesk.checks import TAG
from secdesk.lib import private


@pytest.fixture
def deployment(db, settings, tmp_path):
    """As docs/operations.md sets secdesk up: https behind a trusted proxy, with a relay."""
    settings.DATA_DIR = tmp_path / "data"
    private.make_dir(settings.DATA_DIR)
    settings.SITE_URL = "https://security.example.org"
    settings.CSRF_TRUSTED_ORIGINS = ["https://security.example.org"]
    settings.TRUSTED_PROXIES = (ip_network("127.0.0.1"),)
    settings.DEMO = False
    settings.SMTP_RELAY = ("127.0.0.1", 25)
    return settings


def found() -> dict[str, int]:
    return {message.id: message.level for message in run_checks(tags=[TAG])}


def test_a_sound_deployment_gets_no_message(deployment):
    assert found() == {}


def test_a_file_of_the_data_directory_others_may_read_is_an_error(deployment):
    spooled = deployment.DATA_DIR / "secdesk.sqlite3-spool"
    spooled.write_bytes(b"")
    spooled.chmod(0o644)
    [message] = run_checks(tags=[TAG])
    assert (message.id, message.level) == ("secdesk.E001", ERROR)
    assert f"{spooled} is 0644" in message.msg


def test_a_site_address_not_among_the_csrf_trusted_origins_is_an_error(deployment):
    deployment.CSRF_TRUSTED_ORIGINS = []
    assert found() == {"secdesk.E002": ERROR}


def test_a_plain_http_site_address_is_a_warning_outside_the_demo(deployment):
    deployment.SITE_URL = "http://security.example.org"
    deployment.CSRF_TRUSTED_ORIGINS = ["http://security.example.org"]
    assert found() == {"secdesk.W001": WARNING}
    deployment.DEMO = True
    assert found() == {}


def test_an_https_site_without_trusted_proxies_is_a_warning(deployment):
    deployment.TRUSTED_PROXIES = ()
    assert found() == {"secdesk.W002": WARNING}


def test_a_missing_relay_is_a_warning_outside_the_demo(deployment):
    deployment.SMTP_RELAY = None
    assert found() == {"secdesk.W003": WARNING}
    deployment.DEMO = True
    assert found() == {}
