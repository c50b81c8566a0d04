"""Settings from the environment, read strictly: a malformed value stops start-up
with a message that names the variable, instead of running with a surprise.

Hand-written rather than django-environ, which was tried (0.14.0, 2026-12): it
reads SECDESK_DEMO=perhaps as False and SECDESK_MAIL_MAX_RECIPIENTS=-3 as -3,
where these helpers refuse both. DATABASE_URL is parsed by dj-database-url."""

import os
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url


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
    """The Django DATABASES["default"] entry for DATABASE_URL, parsed by
    dj-database-url (sqlite:////absolute/path, sqlite:///relative/path,
    postgres://user:password@host:port/name).

    No URL means the embedded default: SQLite in the data directory. Only the
    databases secdesk is tested on are taken.
    """
    if not url:
        url = f"sqlite:///{data / 'secdesk.sqlite3'}"
    try:
        config = dj_database_url.parse(url)
    except dj_database_url.UnknownSchemeError:
        raise ConfigError("DATABASE_URL: expected postgres://… or sqlite:///…") from None
    except ValueError as err:
        raise ConfigError(f"DATABASE_URL: {err}") from None
    engine = config["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        if config["NAME"] in ("", ":memory:"):
            raise ConfigError("DATABASE_URL: a sqlite URL needs a file, e.g. sqlite:////path/db")
        return {**config, "OPTIONS": dict(SQLITE_OPTIONS), "CONN_MAX_AGE": 600}
    if engine == "django.db.backends.postgresql":
        if not config["NAME"]:
            raise ConfigError("DATABASE_URL: a postgres URL needs a database name")
        config.update(PORT=str(config["PORT"]), CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)
        return config
    raise ConfigError(
        f"DATABASE_URL: unsupported database {engine.rsplit('.', 1)[-1]!r} "
        "(use postgres:// or sqlite:///)"
    )


def sqlite_file(config: dict) -> Path | None:
    """The file of a DATABASES entry on SQLite; None for another database or
    one in memory."""
    name = str(config["NAME"])
    if not config["ENGINE"].endswith("sqlite3") or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}: expected a yes/no value, got {value!r}")


def count(name: str, default: int, minimum: int = 1) -> int:
    """A whole number of at least `minimum`."""
    value = os.environ.get(name) or str(default)
    if not value.isdigit() or int(value) < minimum:
        raise ConfigError(f"{name}: expected a whole number of at least {minimum}, got {value!r}")
    return int(value)


def choice(name: str, choices: tuple[str, ...], default: str) -> str:
    """One of `choices`, given in any case; the answer in the case of `choices`."""
    value = os.environ.get(name) or default
    for known in choices:
        if value.lower() == known.lower():
            return known
    raise ConfigError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")


def text(name: str, default: str = "") -> str:
    return os.environ.get(name) or default


def host_port(name: str, value: str) -> tuple[str, int]:
    """Parse HOST:PORT (IPv6 hosts in brackets)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{name}: expected HOST:PORT, got {value!r}")
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


LOCAL_SITE = "http://127.0.0.1:8000"


def site_url(name: str, value: str | None) -> str:
    """The one address every link, advisory and CVE record names, whichever
    process (server, worker or CLI) writes it: http(s)://host[:port], no path
    (security.txt and the CSAF provider's files live at the site's root), no
    trailing slash. Unset: the local address `serve` listens on by default."""
    if not value:
        return LOCAL_SITE
    parts = urlsplit(value.rstrip("/"))
    try:
        parts.port  # noqa: B018 (parsing the port is the check)
    except ValueError:
        raise ConfigError(f"{name}: expected a port number in {value!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name}: expected http(s)://host[:port], got {value!r}")
    if parts.path or parts.query or parts.fragment:
        raise ConfigError(f"{name}: scheme and host only, no path, got {value!r}")
    return value.rstrip("/")


def is_loopback(url: str) -> bool:
    """Whether `url` names this machine, which nobody else can reach."""
    name = urlsplit(url).hostname or ""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ip_address(name).is_loopback
    except ValueError:
        return False


DEFAULT_PORTS = {"http": 80, "https": 443}


def host(url: str) -> str:
    """The host of a URL as a Host header names it: in lower case, an IPv6
    address in brackets, no port."""
    name = urlsplit(url).hostname
    return f"[{name}]" if ":" in name else name


def origin(url: str) -> str:
    """scheme://host[:port] of a URL, as a browser writes it in Origin: in lower
    case, without a default port."""
    parts = urlsplit(url)
    scheme, port = parts.scheme.lower(), parts.port
    host_ = host(url)
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        host_ = f"{host_}:{port}"
    return f"{scheme}://{host_}"


def networks(name: str, value: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """A comma-separated list of addresses and networks (10.0.0.0/8, ::1)."""
    found = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            found.append(ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(
                f"{name}: expected addresses or networks such as 127.0.0.1 or 10.0.0.0/8, "
                f"got {item!r}"
            ) from None
    return tuple(found)
