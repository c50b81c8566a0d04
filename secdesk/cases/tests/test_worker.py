from datetime import UTC, datetime, timedelta

import time_machine

from secdesk import worker
from secdesk.cases.actions import embargo


def test_the_worker_ends_an_embargo_when_its_time_comes(new_case, alice, bob):
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=False) as clock:
        case = new_case()
        embargo.do_propose_embargo(case, days=3, acting=alice)
        embargo.do_accept_embargo(case, acting=bob)
        assert worker.tick()["expired"] == []
        clock.shift(timedelta(days=3))
        assert worker.tick()["expired"] == [case.pk]
    case.embargo.refresh_from_db()
    assert case.embargo.exit_reason == "expired"
    assert case.embargo.exited_at == datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
