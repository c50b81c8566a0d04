"""Receiving a report and moving it through its lifecycle."""

from collections.abc import Callable
from dataclasses import dataclass

from secdesk.audit.log import record, record_each
from secdesk.audit.models import AuditEvent
from secdesk.cases.access import can_see_case, require_case
from secdesk.cases.actions.common import atomic, lock_case, now
from secdesk.cases.models import Case, Embargo, Message, ReportState
from secdesk.cases.numbers import assign_numbers
from secdesk.cases.report_machine import REPORT
from secdesk.errors import BadInput, Refused
from secdesk.lib.case_reference import parse_reference
from secdesk.lib.rows import Inserts, save_fields
from secdesk.mail import notices
from secdesk.mail.models import Inbound, InboundMessage
from secdesk.teams.access import require_role
from secdesk.teams.actions import people_for_addresses, person_for_address
from secdesk.teams.models import Person, Project, Role


def _check_report(subject: str, body: str) -> str:
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
    subject = _check_report(subject, body)
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


@dataclass
class MailedReport:
    """A non-member's report by mail, as the intake read it."""

    inbound: InboundMessage
    parsed: object
    reporter_email: str
    reporter_name: str
    subject: str
    body: str
    acknowledge: bool


def do_receive_held_reports(project: Project, reports: list[MailedReport]) -> list[Case]:
    """Reports by mail from non-members, many of one project at once: the
    mail intake's batch, in one durable transaction. Each report gets its case,
    received and held (the report machine applies both moves), its first
    message linked to the mail, its attachments, one automatic acknowledgement
    when RFC 3834 allows, and an audit record of its own. A failure writes none
    of them."""
    if not reports:
        return []
    subjects = [_check_report(r.subject, r.body) for r in reports]
    at = now()
    # Built before the transaction, which on SQLite holds up every other writer.
    cases, messages, inserts = _held_report_rows(project, reports, subjects, at)
    acknowledged = [(r, case) for r, case in zip(reports, cases, strict=True) if r.acknowledge]
    replies = notices.acknowledge_each(
        inserts,
        project,
        [(case, r.reporter_email, r.parsed.message_id) for r, case in acknowledged],
    )
    with atomic():
        people = people_for_addresses([(r.reporter_email, r.reporter_name) for r in reports])
        for r, case, message in zip(reports, cases, messages, strict=True):
            case.reporter = message.author = people[r.reporter_email.strip().lower()]
        _withhold_acknowledgements_over_limits(inserts, project, acknowledged, replies)
        # Numbered in the transaction, the project locked (`assign_numbers`).
        assign_numbers(project, cases)
        inserts.run()
        _mark_held(reports, cases, at)
        record_each(
            None,
            AuditEvent.REPORT_RECEIVED,
            [
                {
                    "case": case,
                    "reporter": case.reporter.email,
                    "zero_day": False,
                    "after": case.state,
                    "inbound": r.inbound.pk,
                    "acknowledged": r.acknowledge,
                }
                for r, case in zip(reports, cases, strict=True)
            ],
        )
    return cases


def _held_report_rows(project, reports, subjects, at) -> tuple[list, list, Inserts]:
    """The held reports' cases, their first messages, and every row to insert
    with them (embargoes, links to the mail, attachments); the reporters are
    filled in inside the transaction."""
    from secdesk.mail.carry_out import link_mail_row, new_attachments

    state = REPORT.apply(ReportState.RECEIVED, "hold")
    cases = [
        Case(project=project, title=subject[:300], state=state, received_at=at)
        for subject in subjects
    ]
    messages = [
        Message(case=case, subject=subject, body=r.body, created_at=at)
        for r, case, subject in zip(reports, cases, subjects, strict=True)
    ]
    inserts = Inserts()
    inserts.add(cases)
    inserts.add(Embargo(case=case) for case in cases)
    inserts.add(messages)
    inserts.add(
        link_mail_row(message, r.inbound, r.parsed)
        for r, message in zip(reports, messages, strict=True)
    )
    inserts.add(new_attachments([(r.inbound, r.parsed) for r in reports]))
    return cases, messages, inserts


def _withhold_acknowledgements_over_limits(inserts, project, acknowledged, replies) -> None:
    """Inside the transaction: the acknowledgements that would pass a limit are
    not sent, and their mail says why."""
    over = {id(row): why for row, why in notices.count_acknowledgements(inserts, project, replies)}
    for (r, _), reply in zip(acknowledged, replies, strict=True):
        if id(reply) in over:
            # A limit was reached: by this batch, or by another process
            # since the mail was read. The report is held all the same.
            r.acknowledge = False
            r.inbound.reasons = [*r.inbound.reasons, {**over[id(reply)], "acknowledgement": False}]


def _mark_held(reports, cases, at) -> None:
    for r, case in zip(reports, cases, strict=True):
        r.inbound.state, r.inbound.case, r.inbound.opened_case = Inbound.HELD, case, True
        r.inbound.decided_at = at
    save_fields(
        [r.inbound for r in reports],
        [
            "state",
            "case",
            "opened_case",
            "decided_at",
            "reasons",
            "sender",
            "subject",
            "message_id",
        ],
    )


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
