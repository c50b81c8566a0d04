from pathlib import Path

import pytest

from secdesk.lib.env import (
    ConfigError,
    count,
    database,
    host_port,
    is_loopback,
    networks,
    origin,
    site_url,
)


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


def test_a_count_is_a_whole_number_of_at_least_one(monkeypatch):
    monkeypatch.delenv("SECDESK_MAIL_MAX_RECIPIENTS", raising=False)
    assert count("SECDESK_MAIL_MAX_RECIPIENTS", 50) == 50
    monkeypatch.setenv("SECDESK_MAIL_MAX_RECIPIENTS", "200")
    assert count("SECDESK_MAIL_MAX_RECIPIENTS", 50) == 200
    for value in ("0", "-3", "fifty", "1.5"):
        monkeypatch.setenv("SECDESK_MAIL_MAX_RECIPIENTS", value)
        with pytest.raises(ConfigError, match="SECDESK_MAIL_MAX_RECIPIENTS"):
            count("SECDESK_MAIL_MAX_RECIPIENTS", 50)


def test_the_site_address_keeps_its_scheme_host_and_port_without_the_trailing_slash():
    assert site_url("SECDESK_SITE_URL", "https://Desk.Example:8443/") == "https://Desk.Example:8443"


@pytest.mark.parametrize("value", ["desk.example", "ftp://desk.example", "https://", "http://h:x"])
def test_a_malformed_site_address_is_refused_naming_the_variable(value):
    with pytest.raises(ConfigError, match="SECDESK_SITE_URL"):
        site_url("SECDESK_SITE_URL", value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Desk.Example/secdesk", "https://desk.example"),
        ("https://desk.example:443", "https://desk.example"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://[2001:DB8::1]:8443", "https://[2001:db8::1]:8443"),
    ],
)
def test_the_origin_of_an_address_is_written_as_a_browser_sends_it(url, expected):
    assert origin(url) == expected


def test_trusted_proxies_are_addresses_and_networks():
    found = networks("SECDESK_TRUSTED_PROXIES", " 127.0.0.1, 10.0.0.0/8,::1 ,")
    assert [str(n) for n in found] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]


def test_a_trusted_proxy_that_is_no_address_is_refused_naming_the_variable():
    with pytest.raises(ConfigError, match=r"SECDESK_TRUSTED_PROXIES.*'proxy\.internal'"):
        networks("SECDESK_TRUSTED_PROXIES", "127.0.0.1,proxy.internal")


@pytest.mark.parametrize(
    "value", ["security.example.org", "ftp://example.org", "https://example.org/secdesk"]
)
def test_a_site_address_other_than_scheme_and_host_is_refused(value):
    with pytest.raises(ConfigError, match="SECDESK_SITE_URL"):
        site_url("SECDESK_SITE_URL", value)


def test_the_site_address_defaults_to_the_local_one_and_loses_its_slash():
    assert site_url("SECDESK_SITE_URL", None) == "http://127.0.0.1:8000"
    assert (
        site_url("SECDESK_SITE_URL", "https://security.example.org/")
        == "https://security.example.org"
    )


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
