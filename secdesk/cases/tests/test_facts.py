import pytest

from secdesk.audit.models import AuditRecord
from secdesk.cases.actions import embargo, triage
from secdesk.cases.facts import ENDS_EMBARGO, FACTS
from secdesk.errors import BadInput, Refused


@pytest.mark.parametrize("fact", FACTS)
def test_each_fact_is_set_once_and_then_refused(fact, new_case, bob):
    case = triage.do_set_fact(new_case(), fact, acting=bob)
    assert getattr(case, FACTS[fact]) is not None
    records = AuditRecord.objects.count()
    with pytest.raises(Refused, match=f"{fact} is already set, and facts are one-way"):
        triage.do_set_fact(case, fact, acting=bob)
    assert AuditRecord.objects.count() == records


def test_an_unknown_fact_is_refused_with_the_known_ones(new_case, bob):
    with pytest.raises(BadInput, match="known: vendor-aware, fix-ready"):
        triage.do_set_fact(new_case(), "leaked", acting=bob)


@pytest.mark.parametrize("fact", ENDS_EMBARGO)
def test_an_issue_that_becomes_public_or_exploited_ends_its_embargo(fact, new_case, alice, bob):
    case = new_case()
    embargo.do_propose_embargo(case, days=10, acting=alice)
    embargo.do_accept_embargo(case, acting=bob)
    triage.do_set_fact(case, fact, acting=bob)
    case.embargo.refresh_from_db()
    assert case.embargo.state == "exited"
    assert case.embargo.exit_reason == fact


def test_fix_found_faulty_clears_fix_ready(new_case, bob):
    case = triage.do_set_fact(new_case(), "fix-ready", acting=bob)
    case = triage.do_fix_found_faulty(case, reason="the patch misses the second caller", acting=bob)
    assert case.fix_ready_at is None
    assert case.faulty_fixes.get().reason == "the patch misses the second caller"
