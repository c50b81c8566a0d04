"""Property tests: whatever the team does, in whatever order, the embargo end in
force never goes beyond the policy's cap unless a recorded extension or restart
allows it, and every change leaves exactly one audit record."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secdesk.audit.models import AuditRecord
from secdesk.cases.actions import embargo, triage
from secdesk.cases.models import EmbargoEvent, ProposalState
from secdesk.errors import Refused

people = st.sampled_from(["alice", "bob", "carol"])
steps = st.lists(
    st.one_of(
        st.tuples(st.just("propose"), people, st.integers(1, 40), st.booleans()),
        st.tuples(st.just("accept"), people),
        st.tuples(st.just("reject"), people),
        st.tuples(st.just("agree"), people),
        st.tuples(st.just("object"), people),
        st.tuples(st.just("faulty"), people),
        st.tuples(st.just("restart"), people, st.integers(1, 20)),
        st.tuples(st.just("terminate"), people),
        st.tuples(st.just("wait"), st.integers(1, 96)),
        st.tuples(st.just("expire")),
    ),
    max_size=25,
)


def _do(step, case, cast):
    kind, *rest = step
    if kind == "propose":
        who, days, justify = rest
        embargo.do_propose_embargo(
            case,
            days=days,
            acting=cast[who],
            justification="vendors need a release cycle" if justify else "",
        )
    elif kind == "accept":
        embargo.do_accept_embargo(case, acting=cast[rest[0]])
    elif kind == "reject":
        embargo.do_reject_embargo(case, reason="no", acting=cast[rest[0]])
    elif kind == "agree":
        embargo.do_agree_embargo(case, acting=cast[rest[0]])
    elif kind == "object":
        embargo.do_object_embargo(case, reason="too long", acting=cast[rest[0]])
    elif kind == "faulty":
        triage.do_fix_found_faulty(case, reason="regression", acting=cast[rest[0]])
    elif kind == "restart":
        embargo.do_restart_embargo(case, days=rest[1], acting=cast[rest[0]])
    elif kind == "terminate":
        embargo.do_terminate_embargo(case, reason="decided", acting=cast[rest[0]])
    elif kind == "expire":
        return int(case.pk in embargo.expire_embargoes())
    return 1


def _check_invariants(case, policy):
    e = case.embargo
    e.refresh_from_db()
    restarts = EmbargoEvent.objects.filter(embargo=e, kind="restarted").order_by("at", "pk")
    assert e.restarts == restarts.count() <= policy.max_restarts
    if e.restarts:
        assert e.clock_started_at == restarts.last().at, "only a restart moves the clock"
    if e.end_at is None:
        return
    length = e.end_at - e.clock_started_at
    assert length <= timedelta(days=policy.max_embargo_days)
    if length > timedelta(days=policy.default_embargo_days):
        # Beyond the default only through an accepted, justified extension for this end.
        assert (
            e.proposals.filter(state=ProposalState.ACCEPTED, is_extension=True, end_at=e.end_at)
            .exclude(justification="")
            .exists()
        )


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_no_sequence_of_events_breaks_the_embargo_cap_or_skips_the_audit(
    steps, new_case, project, alice, bob, carol
):
    cast = {"alice": alice, "bob": bob, "carol": carol}
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=False) as clock:
        case = new_case()
        for step in steps:
            if step[0] == "wait":
                clock.shift(timedelta(hours=step[1]))
                continue
            # Earlier examples' cases may expire too: count this case's records.
            before = AuditRecord.objects.filter(case_id=case.pk).count()
            try:
                changes = _do(step, case, cast)
            except Refused:
                changes = 0
            assert AuditRecord.objects.filter(case_id=case.pk).count() - before == changes
            _check_invariants(case, project.policy)
