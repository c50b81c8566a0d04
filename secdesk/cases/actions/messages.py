"""Messages on a case: the team's replies and notes, and mail that joins a case."""

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.actions.common import atomic, lock_case, now
from secdesk.cases.models import Message
from secdesk.errors import BadInput
from secdesk.mail.distribution import distribute
from secdesk.mail.models import Inbound, MessageMail
from secdesk.teams.access import require_case
from secdesk.teams.models import Person

# A case in these states has not been approved yet: what its reporter adds
# waits for the moderator, like the report itself.
UNAPPROVED = ("received", "held")


def do_post_reply(case, *, body: str, internal: bool = False, subject: str = "", acting: Person):
    """A member's reply on the case (web, CLI): to every member, and to the
    reporter unless it is an internal note."""
    if not body.strip():
        raise BadInput("a reply needs a text")
    with atomic():
        case = lock_case(case)
        require_case(acting, case)
        message = Message.objects.create(
            case=case,
            author=acting,
            subject=subject.strip()[:500],
            body=body,
            internal=internal,
            created_at=now(),
        )
        MessageMail.objects.create(case_message=message)
        rows = distribute(message, to_reporter=True)
        record(
            acting,
            AuditEvent.REPLY_POSTED,
            case=case,
            message=message.pk,
            internal=internal,
            recipients=[address for row in rows for address in row.to],
        )
    return message


def do_append_mail(case, *, inbound, parsed, author: Person, member: bool):
    """Mail that joins a case: a member's post (to the team and the reporter) or
    the reporter's answer (to the team, once the report is approved)."""
    from secdesk.mail.intake import keep_attachments

    with atomic():
        case = lock_case(case)
        at = now()
        message = Message.objects.create(
            case=case,
            author=author,
            subject=parsed.subject,
            body=parsed.body or "(no text; see the attachments)",
            created_at=at,
        )
        MessageMail.objects.create(
            case_message=message,
            message_id=parsed.message_id,
            in_reply_to=(parsed.thread_ids or [""])[0][:500],
            inbound=inbound,
        )
        keep_attachments(inbound, parsed)
        inbound.state, inbound.case, inbound.decided_at = Inbound.ACCEPTED, case, at
        inbound.save(update_fields=["state", "case", "decided_at", "reasons", "sender", "subject"])
        rows = []
        if member or case.state not in UNAPPROVED:
            rows = distribute(message, to_reporter=member)
        record(
            author if member else None,
            AuditEvent.MAIL_APPENDED,
            case=case,
            message=message.pk,
            inbound=inbound.pk,
            by=author.email,
            recipients=[address for row in rows for address in row.to],
        )
    return message


def do_post_reporter_reply(case, *, body: str):
    """The reporter's answer from their private page: like their answer by mail,
    it joins the case and goes to the team, once the report is approved. The
    private link is their authentication, so there is no acting member."""
    if not body.strip():
        raise BadInput("write your answer first")
    with atomic():
        case = lock_case(case)
        message = Message.objects.create(
            case=case, author=case.reporter, body=body, created_at=now()
        )
        MessageMail.objects.create(case_message=message)
        rows = []
        if case.state not in UNAPPROVED:
            rows = distribute(message, to_reporter=False)
        record(
            None,
            AuditEvent.REPORTER_REPLIED,
            case=case,
            message=message.pk,
            by=case.reporter.email if case.reporter else None,
            recipients=[address for row in rows for address in row.to],
        )
    return message
