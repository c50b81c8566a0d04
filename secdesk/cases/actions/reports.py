"""Receiving a report and moving it through its lifecycle."""

from collections.abc import Callable
from dataclasses import dataclass

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.access import can_see_case, require_case
from secdesk.cases.actions.common import atomic, lock_case, now
from secdesk.cases.models import Case, Embargo, Message, ReportState
from secdesk.cases.numbers import assign_numbers
from secdesk.cases.report_machine import REPORT
from secdesk.errors import BadInput, Refused
from secdesk.lib.case_reference import parse_reference
from secdesk.teams.access import require_role
from secdesk.teams.actions import person_for_address
from secdesk.teams.models import Person, Project, Role


def check_report(subject: str, body: str) -> str:
    subject = subject.strip()
    if not subject:
        raise BadInput("a report needs a subject")
    if not body.strip():
        raise BadInput("a report needs a body: what is wrong, ideally with steps to reproduce")
    return subject


def _open_case(
    project: Project,
    *,
    reporter_email: str,
    reporter_name: str,
    subject: str,
    body: str,
    state: str,
    public: bool = False,
) -> tuple[Case, Message]:
    """The case and its first message, from the reporter; in the caller's transaction."""
    reporter = person_for_address(reporter_email, reporter_name)
    at = now()
    case = Case(
        project=project,
        title=subject[:300],
        reporter=reporter,
        state=state,
        received_at=at,
        public_at_intake=public,
        public_at=at if public else None,
    )
    assign_numbers(project, [case])
    case.save(force_insert=True)
    Embargo.objects.create(case=case)
    message = Message.objects.create(
        case=case, author=reporter, subject=subject, body=body, created_at=at
    )
    return case, message


def do_receive_report(
    project: Project,
    *,
    reporter_email: str,
    subject: str,
    body: str,
    reporter_name: str = "",
    public: bool = False,
    acting: Person | None,
) -> Case:
    """A new report: a case in state `received`, its first message from the reporter.

    `acting` is None when the report arrives by mail or the web form; a member
    may also file one on a reporter's behalf. `public` marks a zero-day: the
    issue was public when reported, so it gets no embargo.
    """
    subject = check_report(subject, body)
    with atomic():
        if acting is not None:
            require_role(acting, project)
        case, _ = _open_case(
            project,
            reporter_email=reporter_email,
            reporter_name=reporter_name,
            subject=subject,
            body=body,
            state=ReportState.RECEIVED,
            public=public,
        )
        record(
            acting,
            AuditEvent.REPORT_RECEIVED,
            case=case,
            reporter=case.reporter.email,
            zero_day=public,
        )
    return case


# event → (audit event, role needed, whether a reason is required)
_STEPS = {
    "hold": (AuditEvent.REPORT_HELD, Role.MODERATOR, False),
    "validate": (AuditEvent.REPORT_VALIDATED, Role.MODERATOR, False),
    "invalidate": (AuditEvent.REPORT_INVALIDATED, Role.MODERATOR, True),
    "accept": (AuditEvent.REPORT_ACCEPTED, Role.MEMBER, False),
    "defer": (AuditEvent.REPORT_DEFERRED, Role.MEMBER, True),
    "close": (AuditEvent.REPORT_CLOSED, Role.MEMBER, True),
}


def _move(case, event: str, *, acting: Person | None, reason: str = "") -> Case:
    audit_event, role, needs_reason = _STEPS[event]
    if needs_reason and not reason.strip():
        raise BadInput(f"to {event} a report, give a reason")
    with atomic():
        case = lock_case(case)
        if acting is not None:
            require_case(acting, case, role)
        before = case.state
        case.state = REPORT.apply(case.state, event)
        case.state_reason = reason.strip()
        case.save(update_fields=["state", "state_reason"])
        record(
            acting, audit_event, case=case, before=before, after=case.state, reason=reason.strip()
        )
    return case


def do_hold_report(case, *, acting: Person | None) -> Case:
    return _move(case, "hold", acting=acting)


def do_validate_report(case, *, acting: Person | None) -> Case:
    return _move(case, "validate", acting=acting)


def do_invalidate_report(case, *, reason: str, acting: Person | None) -> Case:
    return _move(case, "invalidate", acting=acting, reason=reason)


def do_accept_report(case, *, acting: Person) -> Case:
    return _move(case, "accept", acting=acting)


def do_defer_report(case, *, reason: str, acting: Person) -> Case:
    return _move(case, "defer", acting=acting, reason=reason)


def do_close_report(case, *, reason: str, acting: Person) -> Case:
    return _move(case, "close", acting=acting, reason=reason)


@dataclass(frozen=True)
class ReportMove:
    """A move of the report's lifecycle as web, API and CLI offer it by name."""

    name: str
    action: Callable[..., Case]
    needs_reason: bool

    def run(self, case, *, acting: Person | None, reason: str = "") -> Case:
        if self.needs_reason:
            return self.action(case, acting=acting, reason=reason)
        return self.action(case, acting=acting)


# The one list of the report moves offered by name (`secdesk case accept`,
# POST /api/v1/cases/example/8/accept, ...), in the order of the lifecycle.
REPORT_MOVES = {
    name: ReportMove(name, action, needs_reason=_STEPS[name][2])
    for name, action in (
        ("hold", do_hold_report),
        ("validate", do_validate_report),
        ("invalidate", do_invalidate_report),
        ("accept", do_accept_report),
        ("defer", do_defer_report),
        ("close", do_close_report),
    )
}


def do_mark_duplicate(case, *, of, acting: Person) -> Case:
    """Duplicates are deferred with a link to the original, never invalid.
    `of` is a case of the same project, its number, or its reference."""
    with atomic():
        case = lock_case(case)
        require_case(acting, case)
        slug, number = (of.project.slug, of.number) if isinstance(of, Case) else parse_reference(of)
        original = Case.objects.filter(
            number=number, project=case.project, project__slug=slug or case.project.slug
        ).first()
        # One the acting member may not see is refused as one that does not
        # exist: neither its state nor its existence is theirs to learn.
        if original is None or not can_see_case(acting, original):
            raise Refused(
                f"no case {slug or case.project.slug}#{number} in {case.project.slug} "
                "to be a duplicate of"
            )
        if original.pk == case.pk:
            raise BadInput("a case cannot be a duplicate of itself")
        before = case.state
        case.state = REPORT.apply(case.state, "mark_duplicate")
        case.duplicate_of = original
        case.state_reason = f"a duplicate of #{original.pk}"
        case.save(update_fields=["state", "state_reason", "duplicate_of"])
        record(
            acting,
            AuditEvent.REPORT_MARKED_DUPLICATE,
            case=case,
            before=before,
            after=case.state,
            duplicate_of=original.reference,
        )
    return case
