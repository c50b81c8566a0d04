"""Storing: the raw message written durably before the daemon answers 250.

One row per project addressed, all of a batch in one transaction (one commit
for the messages that concurrent sessions handed over together): into the
spool beside a SQLite database (`spool`), else into the database. Nothing
after this step can lose a message.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from secdesk.mail.addresses import Recipient
from secdesk.mail.models import InboundMessage
from secdesk.mail.spool import Spool


@dataclass
class Envelope:
    raw: bytes
    mail_from: str
    recipients: list[tuple[str, Recipient]]
    peer: str = ""


def rows_of(envelopes: list[Envelope]) -> list[dict]:
    """The rows to store: one per project each envelope addresses."""
    at = timezone.now()
    rows = []
    for envelope in envelopes:
        by_project: dict[int, list[str]] = {}
        for address, recipient in envelope.recipients:
            by_project.setdefault(recipient.project_id, []).append(address)
        rows += [
            {
                "raw": envelope.raw,
                "size": len(envelope.raw),
                "mail_from": _storable(envelope.mail_from)[:500],
                "rcpt_tos": [_storable(address) for address in addresses],
                "peer": envelope.peer[:100],
                "received_at": at,
                "project_id": project_id,
            }
            for project_id, addresses in by_project.items()
        ]
    return rows


def _storable(text: str) -> str:
    """An envelope address as PostgreSQL takes it: a NUL (which SMTP lets
    through) written as U+FFFD, so that the address stays as unusable as it came."""
    return text.replace("\x00", "\ufffd")


def store(envelopes: list[Envelope], spool: Spool | None) -> list[int]:
    """Write the messages durably, in one transaction: into `spool` if there is
    one, else into the database. Returns their ids, in order."""
    rows = rows_of(envelopes)
    if spool is not None:
        return spool.put(rows)
    # Inside a caller's transaction (a test's), its commit is the one that counts.
    with transaction.atomic():
        stored = InboundMessage.objects.bulk_create(InboundMessage(**row) for row in rows)
    return [row.pk for row in stored]
