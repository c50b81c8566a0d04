"""Members are reminded before an embargo ends of what is still missing, once
per lead time (SPEC §2.6, §2.10)."""

from datetime import UTC, datetime, timedelta

import time_machine

from secdesk.advisories.embargo_end import send_reminders
from secdesk.cases.actions import embargo, triage
from secdesk.mail.models import OutgoingMessage

from .conftest import CVSS

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_members_are_reminded_72_and_24_hours_before_the_end_with_what_is_missing(
    new_case, alice, bob
):
    case = new_case()
    triage.do_record_triage(case, security_issue=True, reasoning="x", cvss3=CVSS, acting=bob)
    with time_machine.travel(START, tick=False):
        embargo.do_propose_embargo(case, days=7, acting=alice)
        embargo.do_accept_embargo(case, acting=bob)
    end = START + timedelta(days=7)
    assert send_reminders(end - timedelta(hours=73)) == []
    assert send_reminders(end - timedelta(hours=71)) == [case.pk]
    assert send_reminders(end - timedelta(hours=70)) == []
    assert send_reminders(end - timedelta(hours=23)) == [case.pk]
    first, second = OutgoingMessage.objects.filter(case=case, kind="embargo-reminder")
    assert "less than 72 hours" in first.body and "less than 24 hours" in second.body
    assert "a CVE id" in first.body
    assert "a fix" in first.body
    assert "the advisory text" in first.body
    assert "bob@suse.example" in first.to and "alice@redhat.example" in first.to
    assert "Steps to reproduce" not in first.body
