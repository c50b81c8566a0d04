"""The team's triage decision and the case facts."""

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases import facts
from secdesk.cases.access import require_case
from secdesk.cases.actions.common import atomic, lock_case, lock_embargo, now
from secdesk.cases.actions.embargo import exit_embargo
from secdesk.cases.embargo_machine import IN_FORCE
from secdesk.cases.models import FaultyFix
from secdesk.cases.report_machine import OPEN_STATES
from secdesk.cases.severity import score_cvss3, score_cvss4
from secdesk.errors import BadInput, Refused
from secdesk.teams.models import Person


def do_record_triage(
    case,
    *,
    security_issue: bool,
    reasoning: str,
    cvss3: str = "",
    cvss4: str = "",
    acting: Person,
):
    """Whether a security problem exists, why, and how severe it is."""
    if not reasoning.strip():
        raise BadInput("a triage decision needs its reasoning")
    score3 = score_cvss3(cvss3) if cvss3 else None
    score4 = score_cvss4(cvss4) if cvss4 else None
    if security_issue and score3 is None and score4 is None:
        raise BadInput("a security issue needs a CVSS 3.1 or 4.0 vector")
    with atomic():
        case = lock_case(case)
        require_case(acting, case)
        if case.state not in OPEN_STATES:
            raise Refused(
                f"triage: case {case.reference} is {case.state}; triage happens while it is "
                f"{' or '.join(OPEN_STATES)}"
            )
        case.is_security_issue = security_issue
        case.triage_reasoning = reasoning.strip()
        case.cvss3_vector, case.cvss3_score = (cvss3.strip(), score3) if cvss3 else ("", None)
        case.cvss4_vector, case.cvss4_score = (cvss4.strip(), score4) if cvss4 else ("", None)
        case.triaged_at = now()
        case.save()
        record(
            acting,
            AuditEvent.TRIAGE_RECORDED,
            case=case,
            security_issue=security_issue,
            cvss3=case.cvss3_vector,
            cvss3_score=score3,
            cvss4=case.cvss4_vector,
            cvss4_score=score4,
        )
    return case


def do_set_fact(case, fact: str, *, acting: Person | None):
    """Set a one-way case fact. An issue that becomes public or exploited ends its
    embargo in the same step."""
    facts.field_of(fact)
    with atomic():
        case = lock_case(case)
        if acting is not None:
            require_case(acting, case)
        at = now()
        facts.set_fact(case, fact, at)
        case.save()
        ended = False
        if fact in facts.ENDS_EMBARGO:
            embargo = lock_embargo(case)
            if embargo.state in IN_FORCE:
                exit_embargo(embargo, reason=fact, acting=acting, at=at)
                ended = True
        record(acting, AuditEvent.FACT_SET, case=case, fact=fact, embargo_ended=ended)
    return case


def do_fix_found_faulty(case, *, reason: str, acting: Person):
    """A proposed fix does not hold: fix ready is cleared, and the embargo clock
    may restart once for it (see do_restart_embargo)."""
    if not reason.strip():
        raise BadInput("say why the fix is faulty")
    with atomic():
        case = lock_case(case)
        require_case(acting, case)
        if case.published_at is not None:
            raise Refused(
                f"case {case.reference} is already published; record a new case for the follow-up"
            )
        was_ready = case.fix_ready_at is not None
        case.fix_ready_at = None
        case.save(update_fields=["fix_ready_at"])
        FaultyFix.objects.create(case=case, reported_by=acting, at=now(), reason=reason.strip())
        record(
            acting,
            AuditEvent.FIX_FOUND_FAULTY,
            case=case,
            reason=reason.strip(),
            fix_ready_cleared=was_ready,
        )
    return case
