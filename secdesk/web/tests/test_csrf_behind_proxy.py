"""Behind a TLS proxy the browser posts from https://<site> to a secdesk that
hears plain http: the site address is a trusted origin, read from
SECDESK_SITE_URL when the settings are, so the settings are read in a process
of their own here."""

import os
import subprocess
import sys

# Through the proxy as docs/operations.md sets it up: the site's Host is passed on.
POST_FROM = """
import django
django.setup()
from django.test import Client
browser = Client(enforce_csrf_checks=True, HTTP_HOST="desk.example")
browser.get("/login/")
answer = browser.post(
    "/logout/",
    {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value},
    HTTP_ORIGIN=sys.argv[1],
)
print(answer.status_code)
"""


def post_from(origin: str, tmp_path, **environment) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECDESK_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="secdesk.settings",
        SECDESK_DATA_DIR=str(tmp_path / "data"),
        **environment,
    )
    done = subprocess.run(
        [sys.executable, "-c", "import sys\n" + POST_FROM, origin],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return int(done.stdout.split()[-1])


SITE = {"SECDESK_SITE_URL": "https://desk.example", "SECDESK_ALLOWED_HOSTS": "desk.example"}


def test_a_post_from_the_https_site_address_passes_the_csrf_check(tmp_path):
    assert post_from("https://desk.example", tmp_path, **SITE) == 302


def test_a_post_from_another_origin_is_still_refused(tmp_path):
    assert post_from("https://evil.example", tmp_path, **SITE) == 403


def test_the_site_address_is_an_allowed_host_without_being_listed(tmp_path):
    assert (
        post_from("https://desk.example", tmp_path, SECDESK_SITE_URL=SITE["SECDESK_SITE_URL"])
        == 302
    )
