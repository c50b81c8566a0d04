"""What `secdesk check` reports, and what every start of secdesk (serve, web,
mail, worker) looks at first: Django's system checks, tagged "secdesk". An
error stops the start; a warning is printed.
"""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Warning, register

from secdesk.lib import env, private
from secdesk.mail import spool

TAG = "secdesk"


def private_paths() -> list[Path]:
    """What must be secdesk's alone: the data directory, and a SQLite database
    kept elsewhere, with its spool and their journals."""
    paths = [Path(settings.DATA_DIR)]
    database = env.sqlite_file(settings.DATABASES["default"])
    if database is not None and not database.resolve().is_relative_to(paths[0]):
        for base in (str(database), spool.file_of(str(database))):
            paths += [Path(base + suffix) for suffix in ("", "-wal", "-shm", "-journal")]
    return paths


@register(TAG)
def data_at_rest(app_configs, **kwargs):
    found = private.lax(private_paths())
    if not found:
        return []
    return [
        Error(
            f"{len(found)} file(s) or folder(s) of secdesk's data others may read, e.g. {found[0]}",
            hint="Starting secdesk (serve, web, mail, worker) takes that access away; if it "
            "could not, they belong to another user: chown them to secdesk's user.",
            id="secdesk.E001",
        )
    ]


@register(TAG)
def site_address(app_configs, **kwargs):
    found = []
    if env.origin(settings.SITE_URL) not in settings.CSRF_TRUSTED_ORIGINS:
        found.append(
            Error(
                f"{env.origin(settings.SITE_URL)} is not among the CSRF trusted origins: "
                "behind a TLS proxy every form would be refused",
                hint="Leave CSRF_TRUSTED_ORIGINS to secdesk: it derives it from SECDESK_SITE_URL.",
                id="secdesk.E002",
            )
        )
    if settings.SITE_URL.startswith("http://") and not settings.DEMO:
        found.append(
            Warning(
                f"SECDESK_SITE_URL {settings.SITE_URL} is plain http: passwords, sessions "
                "and reports cross the network unencrypted",
                hint="Put a TLS proxy in front of secdesk and set SECDESK_SITE_URL=https://…",
                id="secdesk.W001",
            )
        )
    if settings.SITE_URL.startswith("https://") and not settings.TRUSTED_PROXIES:
        found.append(
            Warning(
                "SECDESK_SITE_URL is https, so secdesk is behind a proxy, but "
                "SECDESK_TRUSTED_PROXIES is empty: the login and report-form limits count "
                "everyone as the proxy, and one person can lock all out",
                hint="Set SECDESK_TRUSTED_PROXIES to the proxy's address, e.g. 127.0.0.1.",
                id="secdesk.W002",
            )
        )
    return found


@register(TAG)
def mail_relay(app_configs, **kwargs):
    if settings.SMTP_RELAY is None and not settings.DEMO:
        return [
            Warning(
                "no SECDESK_SMTP_RELAY: outgoing mail is only written to "
                f"{Path(settings.DATA_DIR) / 'outbox'} and reaches no one",
                hint="Set SECDESK_SMTP_RELAY=host:port (see docs/mail.md).",
                id="secdesk.W003",
            )
        ]
    return []
