"""The moderation queue: held mail, and what a moderator does with it.

A held report is a case in state `held`: approving validates it (the report
machine decides; the case lock makes a second, concurrent approval "already
approved") and sends it to every member; rejecting invalidates it with a reason
the reporter is told; spam is invalidated with no reply. A held post (mail into
an existing case that the rules would not let through) is appended on approval.
Approval re-enters delivery, never the rules.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.access import (
    capabilities_named,
    reporter_admitted,
    seen_by,
    visible_case_ids,
)
from secdesk.cases.actions import reports
from secdesk.cases.actions.common import atomic
from secdesk.cases.models import Capability, Case, ReportState
from secdesk.errors import BadInput, NotFound, Refused, TransitionRefused
from secdesk.mail import intake, notices
from secdesk.mail.addresses import split
from secdesk.mail.distribution import distribute_pending
from secdesk.mail.models import Inbound, InboundMessage
from secdesk.mail.parsing import parse
from secdesk.mail.posts import do_append_mail
from secdesk.teams.access import projects_of
from secdesk.teams.models import Person, Role

SPAM = "spam"


def moderated(person: Person | None, states):
    """Mail in these states that `person` moderates: in a project where they are
    a moderator, and, for mail into a case, only if they may see that case.
    Mail into a restricted case is for those it admits; to anyone else it is as
    if it did not exist."""
    return (
        InboundMessage.objects.filter(
            state__in=states, project__in=projects_of(person, Role.MODERATOR)
        )
        .filter(Q(case__isnull=True) | seen_by(person, "case"))
        .select_related("project", "case__project")
        .defer("raw")
        .order_by("pk")
    )


def queue(person: Person | None, state: str = Inbound.HELD):
    """Held (or quarantined) mail that `person` moderates."""
    return moderated(person, [state])


def not_held(pk: int, state: str = Inbound.HELD) -> NotFound:
    """The one refusal for held mail that does not exist, that is not the
    person's to moderate, or that is into a case they may not see."""
    return NotFound(f"no {state} mail #{pk} that you moderate")


def held_item(person: Person | None, pk: int, state: str = Inbound.HELD) -> InboundMessage:
    row = queue(person, state).filter(pk=pk).first()
    if row is None:
        raise not_held(pk, state)
    return row


def _require_moderator(acting: Person, row: InboundMessage, state: str = Inbound.HELD) -> None:
    """The acting person moderates this mail, as `moderated` decides, whatever
    state it has reached since it was read (a decided row hears "already …")."""
    if not moderated(acting, Inbound.values).filter(pk=row.pk).exists():
        raise not_held(row.pk, state)


def shown_reasons(person: Person | None, row: InboundMessage) -> list[dict]:
    """Why the mail was held, as this person may read it: a reason that suggests
    a case (from the mail's In-Reply-To, say) is left out for someone who may
    not see that case. A suggested case is named by its reference too
    (`suggested_reference`), the form the team knows it by."""
    return shown_reasons_of(person, [row])[row.pk]


def shown_reasons_of(person: Person | None, rows) -> dict[int, list[dict]]:
    """`shown_reasons` of each row, by its id, in two queries for any number."""
    suggested = [
        reason.get("suggested_case")
        for row in rows
        for reason in row.reasons
        if isinstance(reason, dict)
    ]
    visible = visible_case_ids(person, suggested)
    references = {
        case.pk: case.reference
        for case in Case.objects.filter(pk__in=visible).select_related("project")
    }
    return {row.pk: _shown(row.reasons, visible, references) for row in rows}


def _shown(reasons: list, visible: set[int], references: dict[int, str]) -> list[dict]:
    return [
        {**reason, "suggested_reference": references[reason["suggested_case"]]}
        if isinstance(reason, dict) and reason.get("suggested_case") is not None
        else reason
        for reason in reasons
        if not isinstance(reason, dict)
        or reason.get("suggested_case") is None
        or reason["suggested_case"] in visible
    ]


def named(row: InboundMessage) -> str:
    """How a held mail is named once decided: a report by the reference of the
    case it became (the number the team works with), a post by the case it was
    sent into, with the mail's own number beside it."""
    if row.case is None:
        return f"mail #{row.pk}"
    if row.opened_case:
        return f"{row.case.reference} (mail #{row.pk})"
    return f"mail #{row.pk} into {row.case.reference}"


def _already(err: TransitionRefused) -> Refused:
    if err.state == ReportState.INVALID:
        return Refused("already rejected")
    return Refused("already approved")


def do_approve(row: InboundMessage, *, acting: Person, as_reporter: bool = False) -> InboundMessage:
    """Approve held mail. A held post joins its case as the reporter's (`_author`):
    sent to the reporter's live reply address, or, when the moderator says so
    (`as_reporter`), having judged that the reporter wrote it. What From says
    never decides it."""
    _require_moderator(acting, row)
    if row.opened_case:
        try:
            reports.do_validate_report(row.case, acting=acting)
        except TransitionRefused as err:
            raise _already(err) from None
        settle(row.pk)
    else:
        if row.state != Inbound.HELD:
            raise Refused("already approved")
        author = _author(row, as_reporter)
        parsed = parse(bytes(row.raw))
        do_append_mail(row.case, inbound=row, parsed=parsed, author=author, member=False)
    row.refresh_from_db()
    return row


def _author(row: InboundMessage, as_reporter: bool) -> Person:
    """Whom a held post is attributed to on approval: only ever the case's
    reporter — through the reporter's live reply address, or when the moderator
    says the reporter wrote it (`as_reporter`). Never a member: a member's
    mail counts only when it proves itself (a signature, or DKIM), and mail
    that did so through their own reply address is posted without being
    held. A moderator cannot vouch for it in their stead."""
    case = row.case
    if case is None:
        raise Refused(f"mail #{row.pk} is not addressed to a case")
    if case.reporter is None or not reporter_admitted(case):
        raise Refused(f"case {case.reference} has no reporter who may answer into it")
    named = capabilities_named(
        [detail for _, detail, _ in map(split, row.rcpt_tos)], Capability.Kind.REPLY
    )
    reporters = [
        c for c in named.values() if c.case_id == case.pk and c.person_id == case.reporter_id
    ]
    if as_reporter or any(c.admits for c in reporters):
        return case.reporter
    raise Refused(
        "it was not sent to the reporter's live reply address; if the reporter wrote it, "
        "approve it as the reporter's (--as-reporter), else reject it: a member's mail "
        "counts only when it is signed or authenticated, so a member sends it again"
    )


def do_reject(row: InboundMessage, *, reason: str, acting: Person) -> InboundMessage:
    """Reject with a reason the sender is told; `spam` rejects with no reply."""
    _require_moderator(acting, row)
    reason = reason.strip()
    if row.opened_case:
        try:
            reports.do_invalidate_report(row.case, reason=reason, acting=acting)
        except TransitionRefused as err:
            raise _already(err) from None
        settle(row.pk)
    else:
        if not reason:
            raise BadInput("to reject a held mail, give a reason")
        with atomic():
            locked = InboundMessage.objects.select_for_update().get(pk=row.pk)
            if locked.state != Inbound.HELD:
                raise Refused("already decided")
            locked.state, locked.decided_at, locked.decided_by = (
                Inbound.REJECTED,
                timezone.now(),
                acting,
            )
            locked.save(update_fields=["state", "decided_at", "decided_by"])
            record(
                acting,
                AuditEvent.HELD_MAIL_REJECTED,
                case=locked.case,
                inbound=locked.pk,
                reason=reason,
            )
    row.refresh_from_db()
    return row


def do_discard_spam(row: InboundMessage, *, acting: Person) -> InboundMessage:
    return do_reject(row, reason=SPAM, acting=acting)


def settle(pk: int) -> None:
    """Carry a moderated report's outcome into the mail: the approved report goes
    to every member, the rejected reporter is told why. Idempotent: the worker
    runs it again for any report a crash left half-settled."""
    with atomic():
        # No select_related: PostgreSQL cannot lock the nullable side of an outer join.
        row = InboundMessage.objects.select_for_update().get(pk=pk)
        case = Case.objects.select_related("project", "reporter").get(pk=row.case_id)
        if row.state != Inbound.HELD or case.state == ReportState.HELD:
            return
        if case.state == ReportState.INVALID:
            reason = _last_reason(case)
            if reason.lower() != SPAM:
                notices.rejected(case, reason=reason)
            row.state = Inbound.REJECTED
        else:
            distribute_pending(case)
            row.state = Inbound.ACCEPTED
        row.decided_at = timezone.now()
        row.save(update_fields=["state", "decided_at"])


def _last_reason(case) -> str:
    return case.state_reason or SPAM


def settle_moderated() -> int:
    """The worker's sweep: held report rows whose case a moderator has decided."""
    pks = list(
        InboundMessage.objects.filter(state=Inbound.HELD, opened_case=True)
        .exclude(case__state=ReportState.HELD)
        .values_list("pk", flat=True)[:200]
    )
    for pk in pks:
        settle(pk)
    return len(pks)


def do_release(row: InboundMessage, *, acting: Person) -> InboundMessage:
    """A moderator releases quarantined mail: the rules run on it again. Mail that
    cannot be read at all stays quarantined; its raw text (`quarantine show
    --raw`) can be filed by hand with `secdesk case receive`."""
    _require_moderator(acting, row, Inbound.QUARANTINED)
    with atomic():
        locked = InboundMessage.objects.select_for_update().get(pk=row.pk)
        if locked.state != Inbound.QUARANTINED:
            raise Refused(f"mail #{row.pk} is {locked.state}, not quarantined")
        locked.state, locked.decided_by = Inbound.RECEIVED, acting
        locked.save(update_fields=["state", "decided_by"])
        record(acting, AuditEvent.MAIL_RELEASED, project=row.project, inbound=row.pk)
    # Released mail is in the database: no spool to read.
    intake.Intake(None).process_one(row.pk)
    locked.refresh_from_db()
    return locked


def escalate_held_reports() -> int:
    """Reports held longer than the project's limit: the admins hear of each once."""
    count = 0
    now = timezone.now()
    held = (
        Case.objects.filter(state=ReportState.HELD)
        .exclude(outgoing__kind="escalation")
        .select_related("project__policy")
    )
    for case in held:
        hours = case.project.policy.hold_escalation_hours
        if case.received_at > now - timedelta(hours=hours):
            continue
        held = case.inbound.filter(opened_case=True).values_list("pk", flat=True).first()
        with atomic():
            rows = notices.escalate(case, held=held, hours=hours)
            if rows:
                to = [address for row in rows for address in row.to]
                record(None, AuditEvent.HELD_REPORT_ESCALATED, case=case, hours=hours, to=to)
                count += 1
    return count
