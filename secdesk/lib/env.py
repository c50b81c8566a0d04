"""Settings from the environment, read strictly: a malformed value stops start-up
with a message that names the variable, instead of running with a surprise."""

import ipaddress
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit


class ConfigError(Exception):
    pass


def data_dir() -> Path:
    return Path(os.environ.get("SECDESK_DATA_DIR") or ".secdesk-data").resolve()


# WAL with synchronous=FULL: every commit is still durable (the WAL is synced
# before COMMIT returns, so a 250 the mail intake says survives a power cut),
# but a commit costs one sync of one file instead of the rollback journal's
# several, and readers do not block the writer. A writer waits for the lock
# instead of failing at once: the web, the mail intake and the worker share
# one file in one process. Connections are kept (CONN_MAX_AGE): opening one
# costs more than the mail intake's whole commit of a message.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}


def database(url: str | None, data: Path) -> dict:
    """The Django DATABASES["default"] entry for DATABASE_URL.

    No URL means the embedded default: SQLite in the data directory.
    """
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(data / "secdesk.sqlite3"),
            "OPTIONS": dict(SQLITE_OPTIONS),
            "CONN_MAX_AGE": 600,
        }
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if path.startswith("/") and parts.netloc == "":
            path = path[1:] if path.startswith("//") else path
        if not path or path == "/":
            raise ConfigError("DATABASE_URL: a sqlite URL needs a file, e.g. sqlite:///path/db")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "OPTIONS": dict(SQLITE_OPTIONS),
            "CONN_MAX_AGE": 600,
        }
    if parts.scheme in ("postgres", "postgresql"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigError("DATABASE_URL: a postgres URL needs a database name")
        try:
            port = parts.port
        except ValueError as e:
            raise ConfigError(f"DATABASE_URL: {e}") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ConfigError(
        f"DATABASE_URL: unsupported scheme {parts.scheme!r} (use postgres:// or sqlite:///)"
    )


def flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}: expected a yes/no value, got {value!r}")


LOCAL_SITE = "http://127.0.0.1:8000"


def site_url(value: str | None) -> str:
    """SECDESK_SITE_URL: the one address every link, advisory and CVE record
    names, whichever process (server, worker or CLI) writes it. Scheme and
    host, no path. Unset: the local address `serve` listens on by default."""
    if not value:
        return LOCAL_SITE
    parts = urlsplit(value.rstrip("/"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"SECDESK_SITE_URL: expected https://HOST[:PORT], got {value!r}")
    if parts.path or parts.query or parts.fragment:
        raise ConfigError(f"SECDESK_SITE_URL: scheme and host only, no path, got {value!r}")
    return value.rstrip("/")


def is_loopback(url: str) -> bool:
    """Whether `url` names this machine, which nobody else can reach."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_port(name: str, value: str) -> tuple[str, int]:
    """Parse HOST:PORT (IPv6 hosts in brackets)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{name}: expected HOST:PORT, got {value!r}")
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)
