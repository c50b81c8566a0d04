"""Members are reminded before an embargo ends of what is still missing, once
per lead time."""

from datetime import UTC, datetime, timedelta

import time_machine

from secdesk.advisories.embargo_end import send_reminders
from secdesk.cases.access import capability_holder
from secdesk.cases.actions import embargo, triage
from secdesk.cases.actions.restriction import do_restrict_case
from secdesk.cases.models import Capability
from secdesk.mail.addresses import split
from secdesk.outbox.models import OutgoingMessage

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
    reminders = OutgoingMessage.objects.filter(case=case, kind="embargo-reminder")
    first = [row for row in reminders if "less than 72 hours" in row.body]
    second = [row for row in reminders if "less than 24 hours" in row.body]
    everyone = {"alice@redhat.example", "bob@suse.example", "root@example.org"}
    assert {row.to[0] for row in first} == {row.to[0] for row in second} == everyone
    assert len(reminders) == 2 * len(everyone)
    body = first[0].body
    assert "a CVE id" in body
    assert "a fix" in body
    assert "the advisory text" in body
    assert "Steps to reproduce" not in body


def _embargoed(new_case, alice, bob):
    case = new_case()
    with time_machine.travel(START, tick=False):
        embargo.do_propose_embargo(case, days=7, acting=alice)
        embargo.do_accept_embargo(case, acting=bob)
    return case


def test_a_restricted_cases_reminder_reaches_only_its_members_one_mail_each(
    new_case, alice, bob, carol, dave
):
    case = _embargoed(new_case, alice, bob)
    do_restrict_case(case, emails=[alice.email, bob.email], acting=alice)

    assert send_reminders(START + timedelta(days=7) - timedelta(hours=71)) == [case.pk]

    reminders = OutgoingMessage.objects.filter(case=case, kind="embargo-reminder")
    assert sorted(row.to for row in reminders) == [[alice.email], [bob.email]]
    # One recipient a row, no copies: nobody learns who else was reminded.
    assert all(row.cc == [] and not row.reply_tos for row in reminders)
    sent_to = {address for row in reminders for address in row.recipients}
    assert carol.email not in sent_to and dave.email not in sent_to


def test_each_reminder_carries_its_recipients_own_reply_address(new_case, alice, bob):
    case = _embargoed(new_case, alice, bob)

    send_reminders(START + timedelta(days=7) - timedelta(hours=71))

    reminders = OutgoingMessage.objects.filter(case=case, kind="embargo-reminder")
    holders = {
        row.to[0]: capability_holder(split(row.reply_to)[1], Capability.Kind.REPLY).person.email
        for row in reminders
    }
    assert holders and all(to == holder for to, holder in holders.items())
