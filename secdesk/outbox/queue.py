"""The outbox: every outgoing mail is a row first, written in the caller's
transaction, and sent by the worker after the commit.

A row is one envelope, to one recipient or to many (a case's team). With its
recipients, and `delivered` (those the relay accepted), it is also the record of
who received what (`sent_on(case)`). `dedupe_key` makes a send exactly-once at the
source: enqueueing the same key again returns the first row and adds nothing.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from secdesk.errors import BadInput
from secdesk.outbox import wake
from secdesk.outbox.addresses import new_message_id
from secdesk.outbox.models import Outgoing, OutgoingMessage

AUTO_REPLIED = "auto-replied"
AUTO_GENERATED = "auto-generated"


def subject_for(case, subject: str) -> str:
    """The subject of a mail about a case, tagged with its reference once."""
    tag = f"[{case.reference}]"
    subject = " ".join((subject or case.title).split())
    return subject if tag in subject else f"{tag} {subject}"


def new_row(
    *,
    project,
    to: list[str],
    subject: str,
    body: str,
    kind: str,
    case=None,
    case_message=None,
    cc: list[str] | None = None,
    reply_to: str | None = None,
    reply_tos: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    dedupe_key: str | None = None,
) -> OutgoingMessage:
    """An unsaved row, for callers that write many at once (bulk_create).
    `reply_tos` gives each recipient of `to` their own reply address; the
    row's mail then goes to each of them alone."""
    if not to:
        raise BadInput("an outgoing mail needs at least one recipient")
    headers = dict(headers or {})
    headers.setdefault("Auto-Submitted", AUTO_GENERATED)
    at = timezone.now()
    # A worker in this process sends it as soon as the caller commits.
    wake.announce()
    return OutgoingMessage(
        project=project,
        case=case,
        case_message=case_message,
        kind=kind,
        message_id=new_message_id(project),
        to=list(to),
        cc=list(cc or []),
        reply_to=reply_to or "",
        reply_tos=dict(reply_tos or {}),
        subject=" ".join(subject.split())[:998],
        body=body,
        headers=headers,
        dedupe_key=dedupe_key,
        created_at=at,
        next_attempt_at=at,
    )


def enqueue(
    *,
    project,
    to: list[str],
    subject: str,
    body: str,
    kind: str,
    case=None,
    cc: list[str] | None = None,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    dedupe_key: str | None = None,
) -> OutgoingMessage:
    """Queue one mail; call inside your transaction. A repeated `dedupe_key`
    returns the row queued first and queues nothing."""
    row, _ = enqueue_once(
        project=project,
        to=to,
        subject=subject,
        body=body,
        kind=kind,
        case=case,
        cc=cc,
        reply_to=reply_to,
        headers=headers,
        dedupe_key=dedupe_key,
    )
    return row


def enqueue_once(*, dedupe_key: str | None = None, **fields) -> tuple[OutgoingMessage, bool]:
    """`enqueue`, also saying whether the row is new."""
    assert transaction.get_connection().in_atomic_block, "enqueue outside a transaction"
    if dedupe_key is not None:
        existing = OutgoingMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing, False
    row = new_row(dedupe_key=dedupe_key, **fields)
    try:
        # A savepoint, so that losing a race on the key leaves the caller's
        # transaction usable.
        with transaction.atomic():
            row.save()
    except IntegrityError:
        existing = OutgoingMessage.objects.filter(dedupe_key=dedupe_key).first()
        if dedupe_key is None or existing is None:
            raise
        return existing, False
    return row, True


def sent_on(case):
    """Every mail about the case, with its recipients: who received what."""
    return OutgoingMessage.objects.filter(case=case).order_by("pk")


def undelivered_on(case):
    """The case's mail whose last attempt failed: refused for good (failed),
    or waiting for its next try; each with the relay's answer."""
    return sent_on(case).exclude(state=Outgoing.SENT).exclude(last_error="")


# Retries: 1, 2, 4 … minutes apart, at most an hour; after MAX_ATTEMPTS the
# row is failed and shown to people (CLI, web).
MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (attempts - 1), 60))


def claim_due(limit: int = 200) -> list[OutgoingMessage]:
    """Rows due now, leased to this worker so another one does not send them too."""
    at = timezone.now()
    with transaction.atomic():
        rows = list(
            OutgoingMessage.objects.select_for_update(skip_locked=True)
            .filter(state=Outgoing.QUEUED, next_attempt_at__lte=at)
            .select_related("project")
            .order_by("next_attempt_at", "pk")[:limit]
        )
        OutgoingMessage.objects.filter(pk__in=[r.pk for r in rows]).update(
            next_attempt_at=at + LEASE
        )
    return rows


def mark_sent(row: OutgoingMessage) -> None:
    OutgoingMessage.objects.filter(pk=row.pk).update(
        state=Outgoing.SENT,
        sent_at=timezone.now(),
        attempts=row.attempts + 1,
        last_error="",
        delivered=row.recipients,
    )


def mark_failed(
    row: OutgoingMessage, error: str, *, permanent: bool, delivered: Iterable[str] = ()
) -> None:
    """The attempt failed, for everyone or (when the relay accepted some
    recipients, `delivered`) for the rest; the next attempt goes to the rest."""
    attempts = row.attempts + 1
    failed = permanent or attempts >= MAX_ATTEMPTS
    OutgoingMessage.objects.filter(pk=row.pk).update(
        state=Outgoing.FAILED if failed else Outgoing.QUEUED,
        attempts=attempts,
        last_error=error[:500],
        next_attempt_at=timezone.now() + backoff(attempts),
        delivered=[*row.delivered, *delivered],
    )
