"""The addresses secdesk answers to: each project's security address, and the
reply addresses `<local>+<token>@<domain>`, each with the unguessable token
issued to one recipient for one case."""

import re
import secrets
from dataclasses import dataclass

from secdesk.teams.models import Project

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Recipient:
    project_id: int
    # The reply address's token, if it carries one (not yet checked).
    token: str = ""


def split(address: str) -> tuple[str, str, str]:
    """(local, detail, domain) of `local+detail@domain`, lowercased."""
    local, _, domain = address.strip().strip("<>").rpartition("@")
    local, _, detail = local.partition("+")
    return local.lower(), detail.lower(), domain.lower()


def security_addresses() -> dict[tuple[str, str], int]:
    """(local, domain) of every project's security address → the project's id."""
    table = {}
    for pk, address in Project.objects.values_list("pk", "security_address"):
        local, _, domain = split(address)
        table[(local, domain)] = pk
    return table


def resolve(address: str, table: dict[tuple[str, str], int]) -> Recipient | None:
    """The project (and reply token) an envelope recipient stands for; None if unknown.

    A detail that is not a well-formed token still reaches the project: a report
    sent to a mistyped reply address is held like any other, never bounced. The
    no-reply address reaches nobody (see `no_reply_address`).
    """
    local, detail, domain = split(address)
    project_id = table.get((local, domain))
    if project_id is None or detail == NO_REPLY:
        return None
    return Recipient(project_id, detail if _TOKEN.match(detail) else "")


NO_REPLY = "no-reply"


def no_reply_address(project: Project) -> str:
    """Where answers to account mail go: refused at RCPT, so an answer quoting a
    password reset link is stored nowhere and read by nobody (answered at the
    security address, it would open a report the whole team reads)."""
    local, _, domain = split(project.security_address)
    return f"{local}+{NO_REPLY}@{domain}"


def reply_address(project: Project, token: str) -> str:
    """The address whose mail is attributed to the one person `token` was
    issued to (`secdesk.cases.capabilities`)."""
    local, _, domain = split(project.security_address)
    return f"{local}+{token}@{domain}"


def new_message_id(project: Project) -> str:
    # Ours are recognisable by shape, and each is also stored with its outbox
    # row, so loop detection can look them up.
    _, _, domain = split(project.security_address)
    return f"<secdesk.{secrets.token_hex(12)}@{domain}>"


ROBOT_LOCALS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply")


def is_robot(address: str) -> bool:
    local, _, _ = split(address)
    return not address or local in ROBOT_LOCALS or local.endswith(("-request", "-bounces"))
