"""The addresses secdesk answers to: each project's security address, and the
reply addresses `<local>+<token>@<domain>`, each with the unguessable token
issued to one recipient for one case."""

import re
from dataclasses import dataclass

from secdesk.outbox.addresses import NO_REPLY, split
from secdesk.teams.models import Project

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Recipient:
    project_id: int
    # The reply address's token, if it carries one (not yet checked).
    token: str = ""


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
    no-reply address reaches nobody (see `secdesk.outbox.addresses.no_reply_address`).
    """
    local, detail, domain = split(address)
    project_id = table.get((local, domain))
    if project_id is None or detail == NO_REPLY:
        return None
    return Recipient(project_id, detail if _TOKEN.match(detail) else "")


ROBOT_LOCALS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply")


def is_robot(address: str) -> bool:
    local, _, _ = split(address)
    return not address or local in ROBOT_LOCALS or local.endswith(("-request", "-bounces"))
