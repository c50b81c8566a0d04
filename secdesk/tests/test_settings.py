"""The settings are read once, from the environment, and a malformed value stops
the start with a message naming the variable."""

import importlib.util

import pytest

from secdesk.lib.env import ConfigError


@pytest.fixture
def read_settings(monkeypatch, tmp_path):
    """The settings module as a fresh process would read it from `environ`."""
    for name in ("SECDESK_SITE_URL", "SECDESK_LISTEN", "SECDESK_DEMO", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECDESK_DATA_DIR", str(tmp_path / "data"))

    def read(**environ):
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        # A module of its own, not the one Django has loaded.
        spec = importlib.util.find_spec("secdesk.settings")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return vars(module)

    return read


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECDESK_SITE_URL", "desk.example.org"),
        ("SECDESK_LOG_LEVEL", "LOUD"),
        ("DATABASE_URL", "mysql://db/secdesk"),
        ("SECDESK_SMTP_RELAY", "mail.internal"),
        ("SECDESK_MAIL_MAX_BYTES", "12"),
        ("SECDESK_SMTP_CONNECTIONS", "0"),
        ("SECDESK_DEMO", "perhaps"),
        ("SECDESK_LISTEN", "8000"),
    ],
)
def test_a_malformed_setting_is_refused_naming_its_variable(read_settings, name, value):
    with pytest.raises(ConfigError, match=f"^{name}: "):
        read_settings(**{name: value})


def test_the_log_level_is_taken_in_any_case(read_settings):
    assert read_settings(SECDESK_LOG_LEVEL="debug")["LOGGING"]["loggers"]["secdesk"] == {
        "level": "DEBUG"
    }


def test_serve_without_a_site_address_lets_in_the_host_it_listens_on(read_settings):
    read = read_settings(SECDESK_LISTEN="192.0.2.7:9000")
    assert "192.0.2.7" in read["ALLOWED_HOSTS"]
    assert "http://192.0.2.7:9000" in read["CSRF_TRUSTED_ORIGINS"]
    assert read["SITE_URL"] == "http://127.0.0.1:8000"


def test_a_site_address_is_the_only_one_let_in_beside_the_loopback_names(read_settings):
    read = read_settings(SECDESK_LISTEN="192.0.2.7:9000", SECDESK_SITE_URL="https://desk.example")
    assert "192.0.2.7" not in read["ALLOWED_HOSTS"]
    assert read["CSRF_TRUSTED_ORIGINS"] == ["https://desk.example"]


def test_the_relay_is_read_into_host_and_port(read_settings):
    assert read_settings(SECDESK_SMTP_RELAY="mail.internal:587")["SMTP_RELAY"] == (
        "mail.internal",
        587,
    )
