"""Every report state × every event: allowed per the table, or refused naming the
current state and the moves allowed from it."""

import pytest

from secdesk.audit.models import AuditRecord
from secdesk.cases.actions import reports
from secdesk.cases.models import Case
from secdesk.cases.report_machine import REPORT
from secdesk.errors import TransitionRefused


def _put_in_state(case, state):
    # Test set-up only: place the case in `state` without walking the path there.
    Case.objects.filter(pk=case.pk).update(state=state)
    case.refresh_from_db()
    return case


def _fire(event, case, other, person):
    if event == "hold":
        return reports.do_hold_report(case, acting=person)
    if event == "validate":
        return reports.do_validate_report(case, acting=person)
    if event == "invalidate":
        return reports.do_invalidate_report(case, reason="spam", acting=person)
    if event == "accept":
        return reports.do_accept_report(case, acting=person)
    if event == "defer":
        return reports.do_defer_report(case, reason="later", acting=person)
    if event == "close":
        return reports.do_close_report(case, reason="done", acting=person)
    if event == "mark_duplicate":
        return reports.do_mark_duplicate(case, of=other, acting=person)
    raise AssertionError(event)


@pytest.mark.parametrize("state", REPORT.states)
@pytest.mark.parametrize("event", REPORT.events)
def test_every_report_state_and_event_is_allowed_or_refused_by_the_table(
    state, event, new_case, alice
):
    other = new_case()
    case = _put_in_state(new_case(state="received"), state)
    records = AuditRecord.objects.count()
    target = REPORT.table.get((state, event))
    if target is None:
        with pytest.raises(TransitionRefused) as refused:
            _fire(event, case, other, alice)
        assert refused.value.state == state
        assert refused.value.allowed == REPORT.allowed(state)
        assert f"from state {state!r}" in str(refused.value)
        assert Case.objects.get(pk=case.pk).state == state
        assert AuditRecord.objects.count() == records
    else:
        case = _fire(event, case, other, alice)
        assert case.state == target
        assert AuditRecord.objects.count() == records + 1


def test_a_report_is_never_closed_straight_from_valid(new_case, alice):
    case = new_case(state="valid")
    with pytest.raises(
        TransitionRefused,
        match=r"allowed from 'valid': `case accept`, `case defer`, `case duplicate`$",
    ):
        reports.do_close_report(case, reason="nothing to do", acting=alice)


def test_a_duplicate_is_deferred_with_a_link_not_invalidated(new_case, alice):
    original, duplicate = new_case(), new_case()
    duplicate = reports.do_mark_duplicate(duplicate, of=original, acting=alice)
    assert duplicate.state == "deferred"
    assert duplicate.duplicate_of == original


def test_validating_a_held_report_needs_a_moderator(new_case, bob, dave):
    from secdesk.errors import NotAllowed

    case = reports.do_hold_report(new_case(state="received"), acting=None)
    with pytest.raises(NotAllowed, match="moderator"):
        reports.do_validate_report(case, acting=bob)
    assert reports.do_validate_report(case, acting=dave).state == "valid"


def test_someone_outside_the_team_cannot_move_a_case(new_case, charlie):
    from secdesk.errors import NotAllowed

    with pytest.raises(NotAllowed, match="not an active member"):
        reports.do_defer_report(new_case(), reason="x", acting=charlie)


def test_a_report_needs_a_subject_and_a_body(project):
    from secdesk.errors import BadInput

    with pytest.raises(BadInput, match="subject"):
        reports.do_receive_report(
            project, reporter_email="a@b.example", subject=" ", body="x", acting=None
        )
    with pytest.raises(BadInput, match="body"):
        reports.do_receive_report(
            project, reporter_email="a@b.example", subject="s", body="\n", acting=None
        )
    with pytest.raises(BadInput, match="malformed email"):
        reports.do_receive_report(
            project, reporter_email="not-an-address", subject="s", body="b", acting=None
        )
    assert not Case.objects.exists()
