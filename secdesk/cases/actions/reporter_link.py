"""Revoking the reporter's private link by issuing a new one."""

from django.conf import settings
from django.urls import reverse

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.actions.common import atomic, lock_case
from secdesk.cases.models import new_token
from secdesk.mail import outbox
from secdesk.mail.addresses import case_address
from secdesk.mail.distribution import subject_for
from secdesk.teams.access import require_case
from secdesk.teams.models import Person, Role


def reporter_url(case) -> str:
    return settings.SITE_URL + reverse("reporter_case", args=[case.token])


def do_reissue_reporter_link(case, *, acting: Person):
    """A new private link for the reporter (admins), e.g. when the old one leaked:
    the old link stops working at once, and the reporter is mailed the new one.

    The token is also the case's reply address, so that changes too: mail to the
    old address no longer joins the case.
    """
    with atomic():
        case = lock_case(case)
        require_case(acting, case, Role.ADMIN)
        case.token = new_token()
        case.save(update_fields=["token"])
        mailed = case.reporter.email if case.reporter else None
        if mailed:
            outbox.enqueue(
                project=case.project,
                case=case,
                to=[mailed],
                subject=subject_for(case, case.title),
                body=(
                    f"The {case.project.name} security team has replaced the private link to "
                    f"your report {case.reference}. The old link no longer works; this is "
                    f"the new one:\n\n{reporter_url(case)}\n\n"
                    "Anyone with the link can read your report, so do not share it. Reply to "
                    "this mail to answer the team.\n"
                ),
                kind="reporter-link",
                reply_to=case_address(case),
                headers={"X-Secdesk-Case": case.reference},
                dedupe_key=f"reporter-link:{case.pk}:{case.token}",
            )
        record(acting, AuditEvent.REPORTER_LINK_REISSUED, case=case, mailed_to=mailed)
    return case
