"""Carrying out: the intake chain's decisions done by actions. Held reports
(a case each, received, held, acknowledged within RFC 3834's limits) and mail
appended to a case and distributed, each kind together in one transaction; a
member's new report, a held post, a quarantine, a discard one by one. Every
message gets its own audit record, and a group that fails is carried out
again message by message, so that a bad message quarantines itself and not
its neighbours.
"""

import logging

from django.utils import timezone

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.actions import reports
from secdesk.cases.actions.common import atomic
from secdesk.cases.models import Case
from secdesk.errors import Refused
from secdesk.lib.database import database_away
from secdesk.mail import chain
from secdesk.mail import held_reports as mailed_reports
from secdesk.mail.decide import named_case, note_parsed
from secdesk.mail.distribution import distribute
from secdesk.mail.message_rows import link_mail_row, new_attachments
from secdesk.mail.models import Attachment, Inbound, InboundMessage, MessageMail
from secdesk.mail.parsing import Parsed
from secdesk.mail.posts import MailedPost, do_append_mail, do_append_mails
from secdesk.mail.rules import Incoming

logger = logging.getLogger("secdesk.mail")


def guarded(row: InboundMessage, work, *args) -> None:
    """Carry out the decision on one message; a failure quarantines it, never loses it."""
    try:
        work(*args)
    except Exception as err:
        if database_away(err):
            raise  # not the message's fault: it is read again (intake._reading)
        failed(row, err)


def failed(row: InboundMessage, err: Exception) -> None:
    """Quarantine a message whose reading or carrying out failed with `err`."""
    # Never lost, never retried blindly: a person looks at it. The action's
    # transaction was rolled back, so the row is read again rather than
    # kept with what the action had set on it (a case that does not exist).
    logger.error("inbound #%s could not be processed: %s", row.pk, type(err).__name__)
    logger.debug("inbound #%s failed", row.pk, exc_info=(type(err), err, err.__traceback__))
    row.refresh_from_db()
    finish(
        row,
        Inbound.QUARANTINED,
        AuditEvent.MAIL_QUARANTINED,
        [{"rule": "failure", "reason": f"processing failed ({type(err).__name__})"}],
        case=named_case(row),
    )


def carry_out(row: InboundMessage, msg: Incoming, action: str) -> None:
    if action == chain.QUARANTINE:
        finish(row, Inbound.QUARANTINED, AuditEvent.MAIL_QUARANTINED, row.reasons)
    elif action == chain.DISCARD:
        finish(row, Inbound.DISCARDED, AuditEvent.MAIL_DISCARDED, row.reasons)
    elif action == chain.ACCEPT and msg.member is not None and msg.case is None:
        _member_report(row, msg)
    elif action == chain.ACCEPT:
        do_append_mail(
            msg.case,
            inbound=row,
            parsed=msg.parsed,
            author=msg.holder,
            member=msg.member is not None,
        )
    elif msg.case is not None:
        finish(row, Inbound.HELD, AuditEvent.MAIL_HELD, row.reasons, case=msg.case, msg=msg)
    elif msg.suggested_case is not None:
        # It names a case (its thread, or the reference in its subject) but
        # proves nobody: held against that case, for the moderators the case
        # admits. As a new report every moderator would read it, and its
        # approval would send it to the whole team.
        case = Case.objects.get(pk=msg.suggested_case)
        finish(row, Inbound.HELD, AuditEvent.MAIL_HELD, row.reasons, case=case, msg=msg)
    else:
        raise AssertionError(f"no way to carry out {action!r} here")


def keep_attachments(row: InboundMessage, parsed: Parsed | None) -> None:
    Attachment.objects.bulk_create(new_attachments([(row, parsed)]))


def finish(row, state, event, reasons, *, case=None, msg=None) -> None:
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
    mail = link_mail_row(message, row, parsed)
    mail.save()
    return mail


def _mailed_report(row: InboundMessage, msg: Incoming) -> mailed_reports.MailedReport:
    subject, body = _report_text(msg.parsed)
    refused = msg.acknowledge_refused
    row.reasons = [*row.reasons, *[{**r, "acknowledgement": False} for r in refused]]
    return mailed_reports.MailedReport(
        inbound=row,
        parsed=msg.parsed,
        reporter_email=msg.reporter_address,
        reporter_name=msg.parsed.from_name,
        subject=subject,
        body=body,
        acknowledge=not refused,
    )


def _held_report(row: InboundMessage, msg: Incoming) -> None:
    """A new report from a non-member: a case, held, and (RFC 3834 permitting)
    one automatic acknowledgement with its reference."""
    reasons = row.reasons
    try:
        mailed_reports.do_receive_held_reports(row.project, [_mailed_report(row, msg)])
    except Refused as err:
        reasons = [*reasons, {"rule": "refused", "reason": err.message}]
        finish(row, Inbound.QUARANTINED, AuditEvent.MAIL_QUARANTINED, reasons, msg=msg)


def _mailed_post(row: InboundMessage, msg: Incoming) -> MailedPost:
    return MailedPost(
        inbound=row,
        parsed=msg.parsed,
        author=msg.holder,
        member=msg.member is not None,
    )


def together(items: list[tuple[InboundMessage, Incoming]], action, one, what: str) -> None:
    """Carry out `action` for several messages at once; if it fails, `one` for
    each message alone, so that a bad message quarantines itself and not its
    neighbours."""
    reasons = {row.pk: row.reasons for row, _ in items}
    try:
        action()
        return
    except Exception as err:
        if database_away(err):
            raise
        logger.warning(
            "%d %s could not be handled together (%s); handling each alone",
            len(items),
            what,
            type(err).__name__,
        )
    for row, msg in items:
        row.refresh_from_db()
        row.reasons = reasons[row.pk]
        note_parsed(row, msg)
        guarded(row, one, row, msg)


def posts(items: list[tuple[InboundMessage, Incoming]]) -> None:
    """Mail into one case, together."""
    posts = [_mailed_post(row, msg) for row, msg in items]
    together(items, lambda: do_append_mails(items[0][1].case, posts), _post, "mails into a case")


def _post(row: InboundMessage, msg: Incoming) -> None:
    carry_out(row, msg, chain.ACCEPT)


def held_reports(items: list[tuple[InboundMessage, Incoming]]) -> None:
    """New reports of one project, together."""
    project = items[0][0].project
    together(
        items,
        lambda: mailed_reports.do_receive_held_reports(
            project, [_mailed_report(row, msg) for row, msg in items]
        ),
        _held_report,
        "reports",
    )


def _member_report(row: InboundMessage, msg: Incoming) -> None:
    """A member's new thread to the security address: a case, and the team gets it."""
    subject, body = _report_text(msg.parsed)
    # Two transactions: if the database goes away between them, the case is
    # there and the message still being read; it is not read again.
    row.case_may_exist = True
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
