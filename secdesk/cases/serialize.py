"""A case as plain data: what `secdesk case show --json` prints and the API returns.

Only for people who may see the case; the caller checks access first.
"""

from secdesk.audit.models import AuditRecord
from secdesk.cases.access import visible_case_ids
from secdesk.cases.facts import facts_of
from secdesk.cases.models import Case, Embargo, EmbargoState
from secdesk.cases.report_machine import REPORT


def _person(person):
    return person.email if person is not None else "secdesk"


def embargo_data(embargo: Embargo) -> dict:
    proposals = [
        {
            "id": p.pk,
            "end": p.end_at,
            "proposed_by": _person(p.proposed_by),
            "proposed_at": p.proposed_at,
            "extension": p.is_extension,
            "justification": p.justification,
            "state": p.state,
            "votes": [
                {"by": _person(v.person), "approve": v.approve, "reason": v.reason, "at": v.at}
                for v in p.votes.all()
            ],
        }
        for p in embargo.proposals.all()
    ]
    return {
        "state": embargo.state,
        "end": embargo.end_at,
        "clock_started_at": embargo.clock_started_at,
        "restarts": embargo.restarts,
        "exit_reason": embargo.exit_reason,
        "exited_at": embargo.exited_at,
        "proposals": proposals,
        "events": [
            {"kind": e.kind, "at": e.at, "by": _person(e.by), "end": e.end_at, "reason": e.reason}
            for e in embargo.events.all()
        ],
    }


def history(case: Case) -> list[dict]:
    return [
        {
            "seq": r.seq,
            "at": r.at,
            "actor": _person(r.actor),
            "event": r.get_event_display(),
            "details": r.details,
        }
        for r in AuditRecord.objects.filter(case_id=case.pk).select_related("actor")
    ]


def case_summary(case: Case) -> dict:
    embargo = getattr(case, "embargo", None)
    return {
        "reference": case.reference,
        "number": case.number,
        "project": case.project.slug,
        "title": case.title,
        "state": case.state,
        "embargo_state": embargo.state if embargo else EmbargoState.NONE,
        "embargo_end": embargo.end_at if embargo else None,
        "received_at": case.received_at,
        "published_at": case.published_at,
    }


def _triage(case: Case) -> dict:
    return {
        "security_issue": case.is_security_issue,
        "reasoning": case.triage_reasoning,
        "cvss3": {"vector": case.cvss3_vector, "score": case.cvss3_score}
        if case.cvss3_vector
        else None,
        "cvss4": {"vector": case.cvss4_vector, "score": case.cvss4_score}
        if case.cvss4_vector
        else None,
        "at": case.triaged_at,
    }


def case_detail(case: Case, viewer) -> dict:
    """Everything about the case, for `viewer`, who may see it; another case it
    points to is named only if they may see that one too."""
    data = case_summary(case)
    data.update(
        {
            "allowed_events": REPORT.allowed(case.state),
            "reporter": case.reporter.email if case.reporter else None,
            "zero_day": case.public_at_intake,
            "duplicate_of": case.duplicate_of.reference
            if case.duplicate_of_id in visible_case_ids(viewer, [case.duplicate_of_id])
            else None,
            "triage": _triage(case),
            "facts": facts_of(case),
            "faulty_fixes": [
                {
                    "at": f.at,
                    "by": _person(f.reported_by),
                    "reason": f.reason,
                    "restarted_clock": f.restarted_clock,
                }
                for f in case.faulty_fixes.all()
            ],
            "embargo": embargo_data(case.embargo),
            "cves": [
                {"id": c.cve_id, "state": c.state, "allocated_by": _person(c.allocated_by)}
                for c in case.cve_ids.all()
            ],
            "fixes": [
                {
                    "branch": f.branch,
                    "commit": f.commit,
                    "by": _person(f.recorded_by),
                    "at": f.recorded_at,
                }
                for f in case.fixes.all()
            ],
            "messages": [
                {
                    "at": m.created_at,
                    "from": _person(m.author),
                    "subject": m.subject,
                    "internal": m.internal,
                    "body": m.body,
                }
                for m in case.messages.all()
            ],
            "history": history(case),
        }
    )
    return data
