from pathlib import Path

import pytest

from secdesk.lib.env import ConfigError, database, host_port, is_loopback, site_url


def test_no_database_url_means_sqlite_in_the_data_directory():
    config = database(None, Path("/srv/secdesk"))
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/srv/secdesk/secdesk.sqlite3"


def test_a_postgres_url_is_read_into_its_parts():
    config = database("postgres://desk:s%40cret@db.internal:6543/secdesk", Path("/x"))
    assert (
        config["ENGINE"],
        config["NAME"],
        config["USER"],
        config["PASSWORD"],
        config["HOST"],
        config["PORT"],
    ) == ("django.db.backends.postgresql", "secdesk", "desk", "s@cret", "db.internal", "6543")


@pytest.mark.parametrize("url", ["mysql://x/y", "postgres://host/", "postgres://h:port/db"])
def test_a_malformed_database_url_is_refused(url):
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        database(url, Path("/x"))


@pytest.mark.parametrize("value", ["8000", "host:", "host:99999", "host:abc"])
def test_a_malformed_listen_address_is_refused(value):
    with pytest.raises(ConfigError, match="HOST:PORT"):
        host_port("--web", value)


def test_a_listen_address_may_be_ipv6():
    assert host_port("--web", "[::1]:8000") == ("::1", 8000)


@pytest.mark.parametrize(
    "value", ["security.example.org", "ftp://example.org", "https://example.org/secdesk"]
)
def test_a_site_address_other_than_scheme_and_host_is_refused(value):
    with pytest.raises(ConfigError, match="SECDESK_SITE_URL"):
        site_url(value)


def test_the_site_address_defaults_to_the_local_one_and_loses_its_slash():
    assert site_url(None) == "http://127.0.0.1:8000"
    assert site_url("https://security.example.org/") == "https://security.example.org"


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://[::1]:8000", True),
        ("http://localhost:8000", True),
        ("https://security.example.org", False),
        ("http://192.0.2.7", False),
    ],
)
def test_a_loopback_site_address_is_recognised(url, loopback):
    assert is_loopback(url) is loopback
