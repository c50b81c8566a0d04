"""Every embargo state × every event, through the action functions."""

import pytest

from secdesk.audit.models import AuditRecord
from secdesk.cases.actions import embargo, triage
from secdesk.cases.embargo_machine import EMBARGO
from secdesk.errors import TransitionRefused


def _embargo_in(state, case, alice, bob):
    if state in ("proposed", "active", "revise", "exited"):
        embargo.do_propose_embargo(case, days=10, acting=alice)
    if state in ("active", "revise", "exited"):
        embargo.do_accept_embargo(case, acting=bob)
    if state == "revise":
        embargo.do_propose_embargo(case, days=12, acting=alice)
    if state == "exited":
        embargo.do_terminate_embargo(case, reason="fixed upstream in public", acting=alice)
    case.embargo.refresh_from_db()
    assert case.embargo.state == state
    return case


def _fire(event, case, alice, bob):
    if event == "propose":
        return embargo.do_propose_embargo(case, days=11, acting=alice)
    if event == "accept":
        return embargo.do_accept_embargo(case, acting=bob)
    if event == "reject":
        return embargo.do_reject_embargo(case, reason="too long", acting=bob)
    if event == "agree":
        return embargo.do_agree_embargo(case, acting=bob)
    if event == "object":
        return embargo.do_object_embargo(case, reason="we ship in 3 days", acting=bob)
    if event == "restart":
        triage.do_fix_found_faulty(case, reason="regression in the fix", acting=alice)
        return embargo.do_restart_embargo(case, acting=alice)
    if event == "terminate":
        return embargo.do_terminate_embargo(case, reason="team decision", acting=alice)
    raise AssertionError(event)


@pytest.mark.parametrize("state", EMBARGO.states)
@pytest.mark.parametrize("event", EMBARGO.events)
def test_every_embargo_state_and_event_is_allowed_or_refused_by_the_table(
    state, event, new_case, alice, bob
):
    case = _embargo_in(state, new_case(), alice, bob)
    target = EMBARGO.table.get((state, event))
    if target is None:
        records = AuditRecord.objects.count()
        with pytest.raises(TransitionRefused) as refused:
            _fire(event, case, alice, bob)
        assert refused.value.state == state
        assert refused.value.allowed == EMBARGO.allowed(state)
        case.embargo.refresh_from_db()
        assert case.embargo.state == state
        # A refused restart still leaves the faulty-fix record it needed.
        assert AuditRecord.objects.count() == records + (1 if event == "restart" else 0)
    else:
        _fire(event, case, alice, bob)
        case.embargo.refresh_from_db()
        assert case.embargo.state == target


def test_a_refused_move_names_the_commands_a_member_runs():
    with pytest.raises(TransitionRefused) as refused:
        EMBARGO.apply("none", "terminate")
    assert str(refused.value) == (
        "embargo: cannot `embargo end` from state 'none'; allowed from 'none': `embargo propose`"
    )
