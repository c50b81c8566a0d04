"""From the SMTP socket to the case: store first, then let the rules decide.

1. `store` writes the raw message, one row per project addressed, and commits
   before the daemon answers 250. Nothing after this step can lose it.
2. `process_pending` claims stored rows one at a time, reads them (`parsing`),
   learns what it can (the case its address or threading points to, whether a
   member provably sent it), and runs the intake chain (`chain`).
3. The decision is carried out by actions: a held report (case received, held,
   acknowledged once within RFC 3834's limits), mail appended to a case and
   distributed, a held post, a quarantine, a discard. Each is audited.

A row found mid-processing after a restart is quarantined for a person: it may
have opened a case already, and a person decides better than a guess.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.actions import reports
from secdesk.cases.actions.common import atomic
from secdesk.cases.actions.messages import do_append_mail
from secdesk.cases.models import Case
from secdesk.errors import Refused
from secdesk.mail import chain
from secdesk.mail.addresses import Recipient
from secdesk.mail.distribution import distribute
from secdesk.mail.models import (
    AcknowledgementCount,
    Attachment,
    Inbound,
    InboundMessage,
    MessageMail,
    OutgoingMessage,
)
from secdesk.mail.parsing import Parsed, Unparseable, parse
from secdesk.mail.rules import Incoming, authenticate
from secdesk.teams.access import case_audience
from secdesk.teams.models import Consent, Membership, Person, Project

logger = logging.getLogger("secdesk.mail")

# A row claimed longer ago than this, and still processing, was interrupted.
INTERRUPTED_AFTER = timedelta(minutes=5)


@dataclass
class Envelope:
    raw: bytes
    mail_from: str
    recipients: list[tuple[str, Recipient]]
    peer: str = ""


def store(envelopes: list[Envelope]) -> list[int]:
    """Write the messages durably, in one transaction (one commit for a batch
    from concurrent sessions). Returns the new rows' ids."""
    at = timezone.now()
    rows = []
    for envelope in envelopes:
        by_project: dict[int, list[str]] = {}
        for address, recipient in envelope.recipients:
            by_project.setdefault(recipient.project_id, []).append(address)
        rows += [
            InboundMessage(
                raw=envelope.raw,
                size=len(envelope.raw),
                mail_from=envelope.mail_from[:500],
                rcpt_tos=addresses,
                peer=envelope.peer[:100],
                received_at=at,
                project_id=project_id,
            )
            for project_id, addresses in by_project.items()
        ]
    with transaction.atomic(durable=True):
        created = InboundMessage.objects.bulk_create(rows)
    if created and created[0].pk is None:
        # Backends that do not return ids from a bulk insert: read them back.
        return list(InboundMessage.objects.filter(received_at=at).values_list("pk", flat=True))
    return [row.pk for row in created]


def recover_interrupted() -> int:
    stale = timezone.now() - INTERRUPTED_AFTER
    count = 0
    for row in InboundMessage.objects.filter(state=Inbound.PROCESSING, claimed_at__lt=stale):
        _finish(
            row,
            Inbound.QUARANTINED,
            AuditEvent.MAIL_QUARANTINED,
            [
                {
                    "rule": "interrupted",
                    "reason": "processing was interrupted; check for a case "
                    "it may already have opened before releasing it",
                }
            ],
        )
        count += 1
    return count


def process_pending(limit: int = 100) -> int:
    """Run the rules on stored messages, oldest first. Returns how many."""
    pks = InboundMessage.objects.filter(state=Inbound.RECEIVED).values_list("pk", flat=True)
    return sum(process_one(pk) for pk in list(pks[:limit]))


def process_one(pk: int) -> bool:
    claimed = InboundMessage.objects.filter(pk=pk, state=Inbound.RECEIVED).update(
        state=Inbound.PROCESSING, claimed_at=timezone.now()
    )
    if not claimed:
        return False  # another process has it
    row = InboundMessage.objects.select_related("project__policy").get(pk=pk)
    try:
        process(row)
    except Exception as err:
        # Never lost, never retried blindly: a person looks at it. The action's
        # transaction was rolled back, so the row is read again rather than
        # kept with what the action had set on it (a case that does not exist).
        logger.error("inbound #%s could not be processed: %s", pk, type(err).__name__)
        logger.debug("inbound #%s failed", pk, exc_info=True)
        row.refresh_from_db()
        _finish(
            row,
            Inbound.QUARANTINED,
            AuditEvent.MAIL_QUARANTINED,
            [{"rule": "failure", "reason": f"processing failed ({type(err).__name__})"}],
        )
    return True


def _reporter_address(parsed: Parsed, mail_from: str) -> str:
    for address in [*parsed.from_addresses[:1], mail_from]:
        try:
            validate_email(address)
        except ValidationError:
            continue
        return address
    return ""


def _find_case(row: InboundMessage, parsed: Parsed) -> tuple[Case | None, bool]:
    from secdesk.mail.addresses import split

    cases = Case.objects.filter(project=row.project).select_related("reporter", "project")
    for address in row.rcpt_tos:
        _, token, _ = split(address)
        if len(token) == 32:
            case = cases.filter(token=token).first()
            if case is not None:
                return case, True
    ids = parsed.thread_ids
    if ids:
        sent = OutgoingMessage.objects.filter(message_id__in=ids, case__project=row.project)
        case_id = sent.values_list("case_id", flat=True).first()
        if case_id is None:
            case_id = (
                MessageMail.objects.filter(
                    message_id__in=ids, case_message__case__project=row.project
                )
                .values_list("case_message__case_id", flat=True)
                .first()
            )
        if case_id is not None:
            return cases.get(pk=case_id), False
    return None, False


def examine(row: InboundMessage) -> Incoming:
    """What secdesk can learn about a stored message before the rules run."""
    raw = bytes(row.raw)
    try:
        parsed = parse(raw)
    except Unparseable:
        parsed = None
    msg = Incoming(raw=raw, mail_from=row.mail_from, project=row.project, parsed=parsed)
    if parsed is None:
        return msg
    msg.reporter_address = _reporter_address(parsed, row.mail_from)
    if parsed.message_id:
        msg.loop = OutgoingMessage.objects.filter(message_id=parsed.message_id).exists()
    msg.case, msg.token_case = _find_case(row, parsed)
    authenticate(msg, _members(row.project, msg.case))
    if msg.reporter_address:
        msg.acknowledgements_today = (
            AcknowledgementCount.objects.filter(
                project=row.project, address=msg.reporter_address.lower(), day=timezone.localdate()
            )
            .values_list("count", flat=True)
            .first()
            or 0
        )
    return msg


def _members(project: Project, case: Case | None) -> list[Person]:
    """Who may be the sender: the members who would see the case (or any case)."""
    if case is not None:
        return list(case_audience(case))
    active = Membership.objects.filter(
        project=project, removed_at__isnull=True, consent=Consent.SIGNATORY
    )
    return list(Person.objects.filter(memberships__in=active).distinct())


def process(row: InboundMessage) -> str:
    msg = examine(row)
    decision = chain.decide(msg)
    row.reasons = decision.reasons
    if msg.parsed is not None:
        row.sender = msg.reporter_address[:500]
        row.subject = msg.parsed.subject
        row.message_id = msg.parsed.message_id
    action = decision.action
    if action == chain.QUARANTINE:
        _finish(row, Inbound.QUARANTINED, AuditEvent.MAIL_QUARANTINED, decision.reasons)
    elif action == chain.DISCARD:
        _finish(row, Inbound.DISCARDED, AuditEvent.MAIL_DISCARDED, decision.reasons)
    elif action == chain.ACCEPT and msg.member is not None and msg.case is None:
        _member_report(row, msg)
    elif action == chain.ACCEPT:
        author = msg.member or msg.case.reporter
        do_append_mail(
            msg.case, inbound=row, parsed=msg.parsed, author=author, member=msg.member is not None
        )
    elif msg.case is not None:
        _finish(row, Inbound.HELD, AuditEvent.MAIL_HELD, decision.reasons, case=msg.case, msg=msg)
    else:
        _held_report(row, msg)
    return action


def keep_attachments(row: InboundMessage, parsed: Parsed | None) -> None:
    if parsed is None or row.attachments.exists():
        return
    Attachment.objects.bulk_create(
        Attachment(
            inbound=row,
            filename=part.filename,
            content_type=part.content_type[:200],
            size=len(part.data),
            sha256=part.sha256,
            data=part.data,
        )
        for part in parsed.attachments
    )


def _finish(row, state, event, reasons, *, case=None, msg=None) -> None:
    with atomic():
        row.state, row.reasons, row.case = state, reasons, case or row.case
        row.decided_at = timezone.now()
        row.save()
        keep_attachments(row, msg.parsed if msg else None)
        record(
            None,
            event,
            project=row.project,
            case=row.case,
            inbound=row.pk,
            reasons=[r["rule"] for r in reasons],
        )


def _report_text(parsed: Parsed) -> tuple[str, str]:
    subject = parsed.subject.strip() or "(no subject)"
    body = parsed.body if parsed.body.strip() else "(no text; see the attachments)"
    return subject, body


def link_mail(message, row: InboundMessage, parsed: Parsed) -> MessageMail:
    """Tie a case message to the mail it came from, for threading."""
    return MessageMail.objects.create(
        case_message=message,
        message_id=parsed.message_id,
        in_reply_to=(parsed.thread_ids or [""])[0][:500],
        inbound=row,
    )


def _held_report(row: InboundMessage, msg: Incoming) -> None:
    """A new report from a non-member: a case, held, and (RFC 3834 permitting)
    one automatic acknowledgement with its reference."""
    subject, body = _report_text(msg.parsed)
    reasons = row.reasons
    refused = chain.acknowledgement_refused(msg)
    row.reasons = [*reasons, *[{**r, "acknowledgement": False} for r in refused]]
    try:
        reports.do_receive_held_report(
            row.project,
            inbound=row,
            parsed=msg.parsed,
            reporter_email=msg.reporter_address,
            reporter_name=msg.parsed.from_name,
            subject=subject,
            body=body,
            acknowledge=not refused,
        )
    except Refused as err:
        reasons = [*reasons, {"rule": "refused", "reason": err.message}]
        _finish(row, Inbound.QUARANTINED, AuditEvent.MAIL_QUARANTINED, reasons, msg=msg)


def _member_report(row: InboundMessage, msg: Incoming) -> None:
    """A member's new thread to the security address: a case, and the team gets it."""
    subject, body = _report_text(msg.parsed)
    case = reports.do_receive_report(
        row.project,
        reporter_email=msg.member.email,
        subject=subject,
        body=body,
        acting=msg.member,
    )
    with atomic():
        link_mail(case.messages.order_by("pk").first(), row, msg.parsed)
        keep_attachments(row, msg.parsed)
        distribute(case.messages.order_by("pk").first(), to_reporter=False)
        row.state, row.case, row.opened_case = Inbound.ACCEPTED, case, True
        row.decided_at = timezone.now()
        row.save()
