"""Acceptance B: an embargo expires while the worker runs, and exactly one
announcement reaches a real SMTP sink, addressed to both lists — also when
publication runs again, or stops between sending and marking the case."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from secdesk import worker
from secdesk.advisories.embargo_end import publish_due
from secdesk.advisories.public_files import public_dir
from secdesk.cases.actions import embargo

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def announcements(sink):
    return [m for m in sink.messages if "announce@libvirt.example" in m["To"]]


@pytest.mark.django_db(transaction=True)
def test_exactly_one_announcement_reaches_the_lists_when_the_embargo_expires(
    ready_case, alice, bob, smtp_sink
):
    with time_machine.travel(START, tick=False):
        embargo.do_propose_embargo(ready_case, days=7, acting=alice)
        embargo.do_accept_embargo(ready_case, acting=bob)
    # The step after the announcement fails: the worker stops between sending and marking.
    public_dir().parent.mkdir(parents=True)
    public_dir().write_text("in the way")
    with time_machine.travel(START + timedelta(days=7, minutes=1)):
        worker.tick()
        ready_case.refresh_from_db()
        assert ready_case.published_at is None
        public_dir().unlink()
        worker.tick()
        worker.tick()
        publish_due()
        worker.tick()
    ready_case.refresh_from_db()
    assert ready_case.published_at is not None
    (announcement,) = announcements(smtp_sink)
    assert "devel@libvirt.example" in announcement["To"]
    assert "CVE-2026-1001" in announcement["Subject"]
    reporter = [m for m in smtp_sink.messages if m["To"] == "finder@research.example"]
    assert len(reporter) == 1
