"""Proposing, agreeing, restarting and ending an embargo."""

from datetime import datetime, timedelta

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases import policy
from secdesk.cases.access import require_case
from secdesk.cases.actions.common import atomic, lock_case, lock_embargo, now
from secdesk.cases.embargo_machine import EMBARGO, IN_FORCE
from secdesk.cases.models import (
    Embargo,
    EmbargoEvent,
    EmbargoProposal,
    EmbargoState,
    EmbargoVote,
    ProposalState,
)
from secdesk.cases.report_machine import OPEN_STATES
from secdesk.errors import BadInput, NotAllowed, Refused
from secdesk.teams.models import Person


def _open_proposal(embargo: Embargo) -> EmbargoProposal:
    proposal = embargo.proposals.filter(state=ProposalState.OPEN).first()
    assert proposal is not None, "an embargo in proposed/revise state has an open proposal"
    return proposal


def _close_open_proposal(embargo: Embargo, state: ProposalState, at: datetime) -> None:
    embargo.proposals.filter(state=ProposalState.OPEN).update(state=state, decided_at=at)


def exit_embargo(embargo: Embargo, *, reason: str, acting: Person | None, at: datetime) -> None:
    """End the embargo for `reason`; the caller holds the lock and writes the audit record."""
    embargo.state = EMBARGO.apply(embargo.state, "terminate")
    embargo.exit_reason = reason
    embargo.exited_at = at
    embargo.save(update_fields=["state", "exit_reason", "exited_at"])
    _close_open_proposal(embargo, ProposalState.SUPERSEDED, at)
    EmbargoEvent.objects.create(
        embargo=embargo, kind=EmbargoEvent.Kind.EXITED, at=at, by=acting, reason=reason
    )


def _require_embargoable(case) -> None:
    """Refuse an embargo for a case that is public, or no longer open."""
    if case.public_at_intake:
        raise policy.policy_refused(
            case.project.policy,
            "zero-day",
            f"case {case.reference} was public when reported; a zero-day gets "
            "no embargo, only a fast fix and an immediate announcement",
        )
    if case.public_at is not None:
        raise policy.policy_refused(
            case.project.policy,
            "zero-day",
            f"case {case.reference} is public; nothing left to embargo",
        )
    if case.state not in OPEN_STATES:
        raise Refused(
            f"embargo: case {case.reference} is {case.state}; an embargo is proposed while the "
            f"report is {' or '.join(OPEN_STATES)}"
        )


def _proposal(embargo, acting, at, end, extension: bool, justification: str) -> EmbargoProposal:
    """The proposal and its entry in the embargo's history."""
    proposal = EmbargoProposal.objects.create(
        embargo=embargo,
        proposed_by=acting,
        proposed_at=at,
        end_at=end,
        is_extension=extension,
        justification=justification,
    )
    EmbargoEvent.objects.create(
        embargo=embargo,
        kind=EmbargoEvent.Kind.PROPOSED,
        at=at,
        by=acting,
        end_at=end,
        reason=justification,
    )
    return proposal


def do_propose_embargo(
    case,
    *,
    end: datetime | None = None,
    days: int | None = None,
    justification: str = "",
    acting: Person,
) -> EmbargoProposal:
    """Propose an embargo end, or a revision of the one in force.

    `days` counts from the embargo clock's start (now, for a first proposal);
    `end` is an absolute time. Exactly one of them is given.
    """
    if (end is None) == (days is None):
        raise BadInput("give the embargo end either as a date or as a number of days")
    if days is not None and days < 1:
        raise BadInput(f"an embargo of {days} days is not an embargo")
    with atomic():
        case = lock_case(case)
        require_case(acting, case)
        _require_embargoable(case)
        embargo = lock_embargo(case)
        at = now()
        next_state = EMBARGO.apply(embargo.state, "propose")
        clock_start = embargo.clock_started_at or at
        if days is not None:
            end = clock_start + timedelta(days=days)
        extension = policy.check_end(
            case.project.policy,
            clock_start=clock_start,
            end=end,
            now=at,
            justification=justification,
        )
        _close_open_proposal(embargo, ProposalState.SUPERSEDED, at)
        embargo.state = next_state
        embargo.clock_started_at = clock_start
        embargo.save(update_fields=["state", "clock_started_at"])
        proposal = _proposal(embargo, acting, at, end, extension, justification.strip())
        record(
            acting,
            AuditEvent.EMBARGO_PROPOSED,
            case=case,
            end=end,
            extension=extension,
            clock_start=clock_start,
            justification=justification.strip(),
            length_days=round(policy.length_days(clock_start, end), 2),
        )
    return proposal


def do_accept_embargo(case, *, acting: Person) -> Embargo:
    """Accept the open proposal: its end comes into force.

    Another member than the proposer accepts; an extension also needs the
    project's agreement rule to hold. The policy is checked again here, since
    it may have changed since the proposal.
    """
    with atomic():
        case = lock_case(case)
        require_case(acting, case)
        embargo = lock_embargo(case)
        next_state = EMBARGO.apply(embargo.state, "accept")
        proposal = _open_proposal(embargo)
        if proposal.proposed_by_id == acting.pk:
            raise NotAllowed(
                "embargo: the proposal must be accepted by another member than its proposer"
            )
        at = now()
        policy.check_end(
            case.project.policy,
            clock_start=embargo.clock_started_at,
            end=proposal.end_at,
            now=at,
            justification=proposal.justification,
        )
        if proposal.is_extension:
            policy.check_agreement(case.project.policy, proposal, now=at, accepting_person=acting)
        before = embargo.end_at
        embargo.state = next_state
        embargo.end_at = proposal.end_at
        embargo.save(update_fields=["state", "end_at"])
        proposal.state, proposal.decided_at = ProposalState.ACCEPTED, at
        proposal.save(update_fields=["state", "decided_at"])
        EmbargoEvent.objects.create(
            embargo=embargo,
            kind=EmbargoEvent.Kind.ACCEPTED,
            at=at,
            by=acting,
            end_at=proposal.end_at,
        )
        record(
            acting,
            AuditEvent.EMBARGO_ACCEPTED,
            case=case,
            end=proposal.end_at,
            previous_end=before,
            extension=proposal.is_extension,
            proposal=proposal.pk,
        )
    return embargo


def do_reject_embargo(case, *, reason: str, acting: Person) -> Embargo:
    """Reject the open proposal. A rejected first proposal leaves no embargo (and
    no clock); a rejected revision leaves the end in force unchanged."""
    if not reason.strip():
        raise BadInput("say why the proposal is rejected")
    with atomic():
        case = lock_case(case)
        require_case(acting, case)
        embargo = lock_embargo(case)
        next_state = EMBARGO.apply(embargo.state, "reject")
        at = now()
        _close_open_proposal(embargo, ProposalState.REJECTED, at)
        embargo.state = next_state
        if next_state == EmbargoState.NONE:
            embargo.clock_started_at = None
        embargo.save(update_fields=["state", "clock_started_at"])
        EmbargoEvent.objects.create(
            embargo=embargo, kind="rejected", at=at, by=acting, reason=reason.strip()
        )
        record(acting, AuditEvent.EMBARGO_REJECTED, case=case, reason=reason.strip())
    return embargo


def _vote(case, *, approve: bool, reason: str, acting: Person) -> EmbargoVote:
    event = "agree" if approve else "object"
    with atomic():
        case = lock_case(case)
        require_case(acting, case)
        embargo = lock_embargo(case)
        EMBARGO.apply(embargo.state, event)
        proposal = _open_proposal(embargo)
        if proposal.proposed_by_id == acting.pk:
            raise NotAllowed(
                "embargo: the proposer's agreement is implied; another member must vote"
            )
        if proposal.votes.filter(person=acting).exists():
            raise Refused(f"embargo: {acting} has already voted on this proposal")
        at = now()
        vote = EmbargoVote.objects.create(
            proposal=proposal, person=acting, approve=approve, reason=reason.strip(), at=at
        )
        EmbargoEvent.objects.create(
            embargo=embargo,
            kind="agreed" if approve else "objected",
            at=at,
            by=acting,
            end_at=proposal.end_at,
            reason=reason.strip(),
        )
        record(
            acting,
            AuditEvent.EMBARGO_AGREED if approve else AuditEvent.EMBARGO_OBJECTED,
            case=case,
            proposal=proposal.pk,
            reason=reason.strip(),
        )
    return vote


def do_agree_embargo(case, *, acting: Person, reason: str = "") -> EmbargoVote:
    return _vote(case, approve=True, reason=reason, acting=acting)


def do_object_embargo(case, *, reason: str, acting: Person) -> EmbargoVote:
    if not reason.strip():
        raise BadInput("an objection needs its reason")
    return _vote(case, approve=False, reason=reason, acting=acting)


def do_restart_embargo(case, *, days: int | None = None, acting: Person) -> Embargo:
    """Restart the clock after a fix was found faulty: capped by policy,
    one restart per faulty fix, a fresh clock of at most the default length."""
    with atomic():
        case = lock_case(case)
        require_case(acting, case)
        project_policy = case.project.policy
        embargo = lock_embargo(case)
        next_state = EMBARGO.apply(embargo.state, "restart")
        faulty = case.faulty_fixes.filter(
            restarted_clock=False, at__gte=embargo.clock_started_at
        ).last()
        policy.check_restart(project_policy, embargo, faulty_fix=faulty)
        days = project_policy.default_embargo_days if days is None else days
        policy.check_restart_length(project_policy, days)
        at = now()
        _close_open_proposal(embargo, ProposalState.SUPERSEDED, at)
        before = embargo.end_at
        embargo.state = next_state
        embargo.clock_started_at = at
        embargo.end_at = at + timedelta(days=days)
        embargo.restarts += 1
        embargo.save(update_fields=["state", "clock_started_at", "end_at", "restarts"])
        faulty.restarted_clock = True
        faulty.save(update_fields=["restarted_clock"])
        EmbargoEvent.objects.create(
            embargo=embargo,
            kind="restarted",
            at=at,
            by=acting,
            end_at=embargo.end_at,
            reason=faulty.reason,
        )
        record(
            acting,
            AuditEvent.EMBARGO_RESTARTED,
            case=case,
            end=embargo.end_at,
            previous_end=before,
            restarts=embargo.restarts,
            faulty_fix=faulty.reason,
        )
    return embargo


def do_terminate_embargo(case, *, reason: str, acting: Person) -> Embargo:
    """End the embargo now by team decision."""
    if not reason.strip():
        raise BadInput("ending an embargo early needs the team's reason")
    with atomic():
        case = lock_case(case)
        require_case(acting, case)
        embargo = lock_embargo(case)
        at = now()
        exit_embargo(embargo, reason=f"decision: {reason.strip()}", acting=acting, at=at)
        record(acting, AuditEvent.EMBARGO_EXITED, case=case, reason=embargo.exit_reason)
    return embargo


def expire_embargoes(at: datetime | None = None) -> list[int]:
    """The worker's sweep: every embargo whose end has come exits, one action each.

    A proposal never accepted also exits when its end passes, so an embargo
    never lapses silently. Returns the cases whose embargo expired.
    """
    at = at or now()
    due = Embargo.objects.filter(state__in=IN_FORCE).values_list("case_id", flat=True)
    expired = []
    for case_id in due:
        with atomic():
            embargo = Embargo.objects.select_for_update(no_key=True).get(case_id=case_id)
            if embargo.state not in IN_FORCE:
                continue
            proposed = embargo.state == EmbargoState.PROPOSED
            end = _open_proposal(embargo).end_at if proposed else embargo.end_at
            if end > at:
                continue
            reason = "expired before it was accepted" if proposed else "expired"
            exit_embargo(embargo, reason=reason, acting=None, at=at)
            record(None, AuditEvent.EMBARGO_EXITED, case=embargo.case, reason=reason, end=end)
            expired.append(case_id)
    return expired
