"""The embargo calendar: a month of embargo ends, and a private
ICS feed per member that names cases by reference only."""

import re
from datetime import timedelta

import icalendar
import pytest
import time_machine
from django.urls import reverse

from secdesk.cases.models import Case, Embargo, EmbargoState, ReportState
from secdesk.web.tests.conftest import NOW, post_form


@pytest.fixture
def hidden_case(libvirt, alice, case):
    """Ends the same day as `case`, but is restricted to alice."""
    other = Case.objects.create(
        project=libvirt,
        number=2,
        title="Restricted: vendor-only issue",
        state=ReportState.ACCEPTED,
        received_at=NOW,
    )
    other.restricted_to.add(alice)
    Embargo.objects.create(
        case=other, state=EmbargoState.ACTIVE, clock_started_at=NOW, end_at=case.embargo.end_at
    )
    return other


def _feed_url(page: str) -> str:
    return re.search(r"<code>(http://testserver/calendar/[^<]+\.ics)</code>", page).group(1)


@time_machine.travel(NOW, tick=False)
def test_the_month_shows_the_ends_the_member_may_see_and_marks_today(login_as, bob, hidden_case):
    page = login_as(bob).get(reverse("calendar"), {"month": "2026-03"}).content.decode()

    case = Case.objects.exclude(pk=hidden_case.pk).get()
    assert f'href="/cases/{case.project.slug}/{case.number}/"' in page and case.reference in page
    assert hidden_case.reference not in page and "vendor-only" not in page
    assert 'aria-current="date"' in page
    assert 'datetime="2026-03-11T14:00:00Z"' in page
    assert "?month=2026-02" in page and "?month=2026-04" in page


@time_machine.travel(NOW, tick=False)
def test_another_month_has_no_today_and_a_link_back(login_as, bob, case):
    page = login_as(bob).get(reverse("calendar"), {"month": "2026-12"}).content.decode()
    assert "December 2026" in page and 'aria-current="date"' not in page
    assert "No embargo you can see ends this month." in page
    assert "?month=2026-03" in page and "?month=2027-01" in page


@time_machine.travel(NOW, tick=False)
def test_a_month_that_is_not_one_shows_this_month_with_a_notice(login_as, bob, case):
    page = login_as(bob).get(reverse("calendar"), {"month": "March"}).content.decode()
    assert "is not a month like 2026-12" in page and "March 2026" in page


@time_machine.travel(NOW, tick=False)
def test_the_feed_lists_each_end_by_reference_never_by_title(login_as, client, bob, case):
    made = post_form(login_as(bob), reverse("calendar_feed_make"), {}, page=reverse("calendar"))
    url = _feed_url(made.content.decode())

    feed = client.get(url)
    body = feed.content.decode()

    assert feed["Content-Type"] == "text/calendar; charset=utf-8"
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert body.count("BEGIN:VEVENT") == 1
    assert f"UID:embargo-{case.pk}@127.0.0.1\r\n" in body
    assert "DTSTART:20260311T140000Z\r\n" in body
    assert f"SUMMARY:Embargo ends: {case.reference}\r\n" in body
    assert case.title not in body and "virDomain" not in body


@time_machine.travel(NOW, tick=False)
def test_the_feed_reads_back_as_a_calendar_with_the_case_link(login_as, client, bob, case):
    made = post_form(login_as(bob), reverse("calendar_feed_make"), {}, page=reverse("calendar"))
    feed = icalendar.Calendar.from_ical(client.get(_feed_url(made.content.decode())).content)

    [event] = feed.walk("VEVENT")
    assert event.decoded("dtstart") == case.embargo.end_at
    assert str(event["url"]) == f"http://127.0.0.1:8000/cases/{case.project.slug}/{case.number}/"
    assert str(feed["x-wr-calname"]) == "secdesk embargo ends"


@time_machine.travel(NOW, tick=False)
def test_a_feed_address_is_shown_once_and_only_its_hash_is_kept(login_as, bob, case):
    client = login_as(bob)
    url = _feed_url(
        post_form(client, reverse("calendar_feed_make"), {}, page="/calendar/").content.decode()
    )
    token = url.rsplit("/", 1)[1].removesuffix(".ics")

    later = client.get(reverse("calendar")).content.decode()

    assert token not in later and "You have a feed since" in later
    assert token not in bob.calendar_feed.token_hash


@time_machine.travel(NOW, tick=False)
def test_a_new_address_ends_the_old_one_and_revoking_ends_both(login_as, client, bob, case):
    member = login_as(bob)
    old = _feed_url(
        post_form(member, reverse("calendar_feed_make"), {}, page="/calendar/").content.decode()
    )
    new = _feed_url(
        post_form(member, reverse("calendar_feed_make"), {}, page="/calendar/").content.decode()
    )
    assert client.get(old).status_code == 404 and client.get(new).status_code == 200

    post_form(member, reverse("calendar_feed_revoke"), {}, page="/calendar/")
    assert client.get(new).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_a_removed_member_feed_goes_empty_at_once(login_as, client, alice, bob, case):
    from secdesk.teams.joining import do_remove_member

    url = _feed_url(
        post_form(
            login_as(bob), reverse("calendar_feed_make"), {}, page="/calendar/"
        ).content.decode()
    )
    do_remove_member(case.project, email=bob.email, reason="left", acting=alice)

    body = client.get(url).content.decode()
    assert "BEGIN:VEVENT" not in body and case.reference not in body


def test_an_ended_embargo_leaves_the_calendar(login_as, bob, case):
    Embargo.objects.filter(case=case).update(
        state=EmbargoState.EXITED, exited_at=NOW + timedelta(days=1)
    )
    with time_machine.travel(NOW, tick=False):
        page = login_as(bob).get(reverse("calendar"), {"month": "2026-03"}).content.decode()
    assert f'href="/cases/{case.project.slug}/{case.number}/"' not in page


@time_machine.travel(NOW, tick=False)
def test_a_member_left_out_of_a_restricted_case_loses_its_event_from_the_feed_at_once(
    login_as, client, alice, bob, case
):
    from secdesk.cases.actions.restriction import do_restrict_case

    url = _feed_url(
        post_form(
            login_as(bob), reverse("calendar_feed_make"), {}, page="/calendar/"
        ).content.decode()
    )
    assert f"embargo-{case.pk}@" in client.get(url).content.decode()

    do_restrict_case(case, emails=[alice.email], acting=alice)

    body = client.get(url).content.decode()
    assert "BEGIN:VEVENT" not in body and f"embargo-{case.pk}@" not in body
    assert case.reference not in body
    month = login_as(bob).get(reverse("calendar"), {"month": "2026-03"}).content.decode()
    assert f'href="/cases/{case.project.slug}/{case.number}/"' not in month
    assert "No embargo you can see ends this month." in month
