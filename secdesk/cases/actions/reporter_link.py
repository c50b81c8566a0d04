"""Revoking the reporter's private link by issuing a new one."""

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases import capabilities
from secdesk.cases.access import require_case
from secdesk.cases.actions.common import atomic, lock_case
from secdesk.lib.mail_text import mail_text
from secdesk.outbox import queue
from secdesk.outbox.addresses import reply_address
from secdesk.outbox.queue import subject_for
from secdesk.teams.models import Person, Role


def do_reissue_reporter_link(case, *, acting: Person):
    """A new private link for the reporter (admins), e.g. when the old one leaked:
    the old link stops working at once, and so does every reply address the
    reporter was sent (mail to one is held for a moderator). The new link, with
    a new reply address, is mailed to the reporter alone.
    """
    with atomic():
        case = lock_case(case)
        require_case(acting, case, Role.ADMIN)
        reporter = case.reporter
        mailed = reporter.email if reporter else None
        if reporter is not None:
            capabilities.revoke_reporter_capabilities(case)
            tokens = capabilities.issued(case, [reporter.pk], [reporter.pk])
            link = tokens.link(reporter.pk)
            queue.enqueue(
                project=case.project,
                case=case,
                to=[mailed],
                subject=subject_for(case, case.title),
                body=mail_text(
                    "cases/mail/reporter_link.txt",
                    project=case.project,
                    reference=case.reference,
                    link=capabilities.reporter_url(link),
                ),
                kind="reporter-link",
                reply_to=reply_address(case.project, tokens.reply(reporter.pk)),
                headers={"X-Secdesk-Case": case.reference},
            )
        record(acting, AuditEvent.REPORTER_LINK_REISSUED, case=case, mailed_to=mailed)
    return case
