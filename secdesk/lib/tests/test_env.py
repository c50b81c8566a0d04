from pathlib import Path

import pytest

from secdesk.lib.env import ConfigError, count, database, host_port


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
