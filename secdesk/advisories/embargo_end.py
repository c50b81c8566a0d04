"""What the worker does around an embargo's end:
reminds the members before it of what is still missing, publishes when it has
expired (or at once for a zero-day), alerts the admins when an expired embargo
cannot be published, and resumes any publication that stopped half-way.

Every reminder and alert is an EmbargoNotice row written with its mail in one
transaction, so each is sent once per lead time and per embargo end.
"""

import logging
from datetime import timedelta

from django.db import IntegrityError

from secdesk.advisories.models import Advisory, EmbargoNotice, NoticeKind, Publication, Trigger
from secdesk.advisories.publication import (
    publication_problems,
    run_publication,
    start_by_worker,
    update_mirrors,
)
from secdesk.advisories.verify import verify_case
from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.access import case_admins, case_audience
from secdesk.cases.actions.common import atomic, now
from secdesk.cases.embargo_machine import IN_FORCE
from secdesk.cases.models import Case, Embargo, EmbargoState, ReportState
from secdesk.errors import Refused
from secdesk.lib.claims import exclusive
from secdesk.lib.mail_text import mail_text
from secdesk.mail.distribution import enqueue_each

logger = logging.getLogger("secdesk.embargo_end")


def tick(at=None) -> dict:
    at = at or now()
    return {
        "reminded": send_reminders(at),
        "published": publish_due(),
    }


def missing_for(case) -> list[str]:
    """What still stands between the case and a complete advisory, one line each."""
    missing = []
    if not case.cve_ids.exclude(state="rejected").exists():
        missing.append("a CVE id")
    if case.project.repositories.exists():
        missing += [f"fix: {problem}" for problem in verify_case(case, fetch=False)]
    elif not case.fixes.exists():
        missing.append("a fix")
    advisory = Advisory.objects.filter(case=case).first()
    if advisory is None or not advisory.description.strip():
        missing.append("the advisory text (secdesk advisory edit)")
    return missing


def _admins(case) -> list:
    """Who hears that an expired embargo cannot be published: the admins among
    those who may see the case, or, when the restriction leaves every admin
    out, those it admits (an alert that nobody receives is lost)."""
    return list(case_admins(case).order_by("email")) or list(case_audience(case).order_by("email"))


def _notice(case, *, kind, hours, end, missing, subject, body, to) -> bool:
    """Write the notice and its mail once, one mail per person in `to` (each
    their own, with their own reply address); False if it was sent before."""
    try:
        with atomic():
            EmbargoNotice.objects.create(
                case=case,
                kind=kind,
                hours_before=hours,
                embargo_end=end,
                missing=missing,
                sent_at=now(),
            )
            enqueue_each(
                project=case.project,
                people=to,
                subject=subject,
                body=body,
                kind=f"embargo-{kind}",
                case=case,
                dedupe_key=f"embargo-{kind}:{case.pk}:{hours}:{end.isoformat()}",
            )
            event = (
                AuditEvent.EMBARGO_REMINDER_SENT
                if kind == NoticeKind.REMINDER
                else AuditEvent.EXPIRED_INCOMPLETE_ALERTED
            )
            record(
                None,
                event,
                case=case,
                hours_before=hours,
                end=end,
                missing=missing,
                to=[person.email for person in to],
            )
    except IntegrityError:
        return False
    return True


def send_reminders(at) -> list[int]:
    """Remind those who may see each case before its embargo ends, at the
    policy's lead times: a restricted case's members only, one mail each."""
    reminded = []
    embargoes = Embargo.objects.filter(state__in=IN_FORCE, end_at__gt=at).select_related(
        "case__project__policy"
    )
    for embargo in embargoes:
        case = embargo.case
        hours = [int(h) for h in case.project.policy.reminder_hours.split(",") if h]
        due = [h for h in hours if embargo.end_at - timedelta(hours=h) <= at]
        if not due:
            continue
        # Only the shortest lead time that is due: a reminder skipped while the
        # worker was down is not sent late on top of the current one.
        lead = min(due)
        if EmbargoNotice.objects.filter(
            case=case, kind=NoticeKind.REMINDER, hours_before=lead, embargo_end=embargo.end_at
        ).exists():
            continue
        missing = missing_for(case)
        sent = _notice(
            case,
            kind=NoticeKind.REMINDER,
            hours=lead,
            end=embargo.end_at,
            missing=missing,
            to=list(case_audience(case).order_by("email")),
            subject=f"[{case.reference}] embargo ends {embargo.end_at:%Y-%m-%d %H:%M} UTC",
            body=mail_text(
                "advisories/mail/reminder.txt",
                reference=case.reference,
                end=embargo.end_at,
                hours=lead,
                missing=missing,
            ),
        )
        if sent:
            reminded.append(case.pk)
    return reminded


def publish_due() -> list[int]:
    """Resume stopped publications, then start those that are due."""
    done = []
    for publication in Publication.objects.filter(finished_at__isnull=True).order_by("pk"):
        done += _run(publication)
    expired = Case.objects.filter(
        embargo__state=EmbargoState.EXITED,
        embargo__exit_reason="expired",
        state=ReportState.ACCEPTED,
        publication__isnull=True,
    )
    for case in expired:
        done += _start_and_run(case, Trigger.EXPIRED)
    zero_days = Case.objects.filter(
        public_at_intake=True,
        state=ReportState.ACCEPTED,
        is_security_issue=True,
        publication__isnull=True,
    )
    for case in zero_days:
        done += _start_and_run(case, Trigger.ZERO_DAY)
    return done


def _run(publication) -> list[int]:
    # One worker at a time: another's steps would repeat their work (the
    # advisory's files, the CVE records) before finding them recorded.
    with exclusive("publication", publication.pk) as mine:
        if not mine:
            return []
        try:
            run_publication(publication)
        except Refused as refused:
            logger.warning("%s", refused.message.split(":")[0])
            return []
    return [publication.case_id]


def _start_and_run(case, trigger: str) -> list[int]:
    if trigger == Trigger.ZERO_DAY and not case.cve_ids.exclude(state="rejected").exists():
        return []  # A zero-day goes out as soon as it carries its CVE.
    try:
        update_mirrors(case)
        publication = start_by_worker(case.pk, trigger)
    except Refused:
        if trigger == Trigger.EXPIRED:
            _alert_admins(case)
        return []
    return _run(publication) if publication else []


def _alert_admins(case) -> None:
    blocking, fixes = publication_problems(case)
    missing = blocking + fixes
    end = case.embargo.end_at or case.embargo.exited_at
    _notice(
        case,
        kind=NoticeKind.EXPIRED_INCOMPLETE,
        hours=0,
        end=end,
        missing=missing,
        to=_admins(case),
        subject=f"[{case.reference}] embargo expired, advisory not published",
        body=mail_text(
            "advisories/mail/expired_incomplete.txt",
            reference=case.reference,
            end=end,
            missing=missing,
        ),
    )
