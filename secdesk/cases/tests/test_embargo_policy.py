"""The embargo policy of docs/policy.md ("Embargo", "Issues that are already
public"), enforced by the embargo actions."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from secdesk.cases.actions import embargo, triage
from secdesk.errors import BadInput, NotAllowed, PolicyRefused
from secdesk.teams.actions import do_accept_policy, do_set_policy

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _active(case, alice, bob, days=10):
    embargo.do_propose_embargo(case, days=days, acting=alice)
    return embargo.do_accept_embargo(case, acting=bob)


def test_an_embargo_of_14_days_needs_no_justification(new_case, alice, bob):
    e = _active(new_case(), alice, bob, days=14)
    assert e.end_at == T0 + timedelta(days=14)
    assert e.clock_started_at == T0


def test_an_embargo_beyond_30_days_is_refused(new_case, alice):
    with pytest.raises(PolicyRefused, match="31 days is longer than the maximum of 30 days"):
        embargo.do_propose_embargo(new_case(), days=31, justification="big", acting=alice)


def test_an_extension_without_justification_is_refused(new_case, alice, bob):
    case = new_case()
    _active(case, alice, bob)
    with pytest.raises(PolicyRefused, match=r"beyond 14 days .* needs a written justification"):
        embargo.do_propose_embargo(case, days=25, acting=alice)


def test_an_extension_needs_another_members_agreement(new_case, alice, bob, carol):
    case = new_case()
    _active(case, alice, bob)
    embargo.do_propose_embargo(
        case, days=25, justification="two vendors ship monthly", acting=alice
    )
    # The proposer cannot accept their own proposal.
    with pytest.raises(NotAllowed, match="another member than its proposer"):
        embargo.do_accept_embargo(case, acting=alice)
    e = embargo.do_accept_embargo(case, acting=carol)
    assert e.end_at == T0 + timedelta(days=25)


def test_an_objection_blocks_an_extension(new_case, alice, bob, carol):
    case = new_case()
    _active(case, alice, bob)
    embargo.do_propose_embargo(case, days=25, justification="need time", acting=alice)
    embargo.do_object_embargo(case, reason="our release is in 5 days", acting=bob)
    with pytest.raises(PolicyRefused, match="1 objection"):
        embargo.do_accept_embargo(case, acting=carol)
    case.embargo.refresh_from_db()
    assert case.embargo.end_at == T0 + timedelta(days=10), "the end in force is unchanged"


def test_a_policy_of_two_approvals_needs_two_members_besides_the_proposer(
    project, new_case, alice, bob, carol
):
    do_set_policy(project, {"agreement_approvals": "2"}, acting=alice)
    for person in (bob, carol):
        do_accept_policy(project, acting=person)
    case = new_case()
    _active(case, alice, bob)
    embargo.do_propose_embargo(case, days=20, justification="coordinated release", acting=alice)
    with pytest.raises(PolicyRefused, match="needs 2 approval"):
        embargo.do_accept_embargo(case, acting=carol)
    embargo.do_agree_embargo(case, acting=bob)
    assert embargo.do_accept_embargo(case, acting=carol).end_at == T0 + timedelta(days=20)


def test_a_no_objection_rule_waits_its_hours(project, new_case, alice, bob, frozen_clock):
    do_set_policy(project, {"agreement": "no_objection", "agreement_hours": "48"}, acting=alice)
    do_accept_policy(project, acting=bob)
    case = new_case()
    _active(case, alice, bob)
    embargo.do_propose_embargo(case, days=20, justification="coordinated release", acting=alice)
    with pytest.raises(PolicyRefused, match="wait until 2026-12-03 09:00 UTC"):
        embargo.do_accept_embargo(case, acting=bob)
    frozen_clock.shift(timedelta(hours=48))
    assert embargo.do_accept_embargo(case, acting=bob).end_at == T0 + timedelta(days=20)


def test_a_revision_leaves_the_end_in_force_until_accepted(new_case, alice, bob):
    case = new_case()
    _active(case, alice, bob, days=10)
    embargo.do_propose_embargo(case, days=7, acting=alice)
    case.embargo.refresh_from_db()
    assert case.embargo.state == "revise"
    assert case.embargo.end_at == T0 + timedelta(days=10)
    embargo.do_reject_embargo(case, reason="keep 10", acting=bob)
    case.embargo.refresh_from_db()
    assert (case.embargo.state, case.embargo.end_at) == ("active", T0 + timedelta(days=10))


def test_the_clock_restarts_only_after_a_fix_is_found_faulty(new_case, alice, bob):
    case = new_case()
    _active(case, alice, bob)
    with pytest.raises(PolicyRefused, match="only when a fix is found faulty"):
        embargo.do_restart_embargo(case, acting=alice)


def test_a_restart_past_the_cap_is_refused(new_case, alice, bob, frozen_clock):
    case = new_case()
    _active(case, alice, bob)
    frozen_clock.shift(timedelta(days=5))
    triage.do_fix_found_faulty(case, reason="breaks migration", acting=bob)
    e = embargo.do_restart_embargo(case, acting=alice)
    restarted = T0 + timedelta(days=5)
    assert (e.clock_started_at, e.end_at, e.restarts) == (
        restarted,
        restarted + timedelta(days=14),
        1,
    )
    triage.do_fix_found_faulty(case, reason="second try fails too", acting=bob)
    with pytest.raises(PolicyRefused, match=r"restarted 1 time.*allows at most 1"):
        embargo.do_restart_embargo(case, acting=alice)


def test_a_restarted_clock_runs_at_most_the_default_length(new_case, alice, bob):
    case = new_case()
    _active(case, alice, bob)
    triage.do_fix_found_faulty(case, reason="breaks migration", acting=bob)
    with pytest.raises(PolicyRefused, match="restarted clock runs 1 to 14 days"):
        embargo.do_restart_embargo(case, days=20, acting=alice)


def test_a_zero_day_gets_no_embargo(new_case, alice):
    case = new_case(public=True)
    with pytest.raises(PolicyRefused, match="public when reported; a zero-day gets no embargo"):
        embargo.do_propose_embargo(case, days=7, acting=alice)


def test_an_end_in_the_past_is_refused(new_case, alice):
    with pytest.raises(BadInput, match="not in the future"):
        embargo.do_propose_embargo(new_case(), end=T0 - timedelta(hours=1), acting=alice)


def test_an_embargo_expires_at_its_end_and_never_lapses_silently(
    new_case, alice, bob, frozen_clock
):
    active, proposed = new_case(), new_case()
    _active(active, alice, bob, days=3)
    embargo.do_propose_embargo(proposed, days=2, acting=alice)
    frozen_clock.shift(timedelta(days=2, hours=1))
    assert embargo.expire_embargoes() == [proposed.pk]
    frozen_clock.shift(timedelta(days=1))
    assert embargo.expire_embargoes() == [active.pk]
    active.embargo.refresh_from_db()
    proposed.embargo.refresh_from_db()
    assert (active.embargo.state, active.embargo.exit_reason) == ("exited", "expired")
    assert proposed.embargo.exit_reason == "expired before it was accepted"
    assert embargo.expire_embargoes() == []


def test_lowering_the_maximum_refuses_what_it_used_to_allow(project, new_case, alice, bob):
    do_set_policy(project, {"max_embargo_days": "7", "default_embargo_days": "7"}, acting=alice)
    do_accept_policy(project, acting=bob)
    with pytest.raises(PolicyRefused, match="maximum of 7 days"):
        embargo.do_propose_embargo(new_case(), days=10, justification="x", acting=alice)


def test_a_policy_change_lapses_other_members_until_they_accept_again(
    project, new_case, alice, bob
):
    case = new_case()
    do_set_policy(project, {"max_restarts": "2"}, acting=alice)
    with pytest.raises(NotAllowed, match="not an active member"):
        embargo.do_propose_embargo(case, days=5, acting=bob)
    do_accept_policy(project, acting=bob)
    embargo.do_propose_embargo(case, days=5, acting=bob)
