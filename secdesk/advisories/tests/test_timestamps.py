"""Every format writes times to the same precision, so none reads earlier
than the time it was derived from, and the HTML's <time> is valid."""

import re
from datetime import datetime, timedelta, timezone

import time_machine
from django.test import Client

from secdesk.advisories.actions import do_publish_case
from secdesk.lib.dates import stamp

SECOND = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


@time_machine.travel("2026-03-02 10:00:00.654321Z", tick=False)
def test_no_format_dates_a_change_before_the_publication(ready_case, bob):
    do_publish_case(ready_case, acting=bob)
    advisory_id = ready_case.advisory.public_id
    client = Client()
    osv = client.get(f"/advisories/{advisory_id}.osv.json").json()
    tracking = client.get(f"/advisories/{advisory_id}.csaf.json").json()["document"]["tracking"]
    assert osv["published"] == osv["modified"] == "2026-03-02T10:00:00Z"
    assert tracking["initial_release_date"] == tracking["current_release_date"]
    assert tracking["revision_history"][-1]["date"] <= tracking["current_release_date"]
    cve = client.get(f"/advisories/{advisory_id}/CVE-2026-1001.json").json()
    assert cve["datePublic"] == osv["published"]
    assert all(re.fullmatch(SECOND, event["time"]) for event in cve["timeline"])


@time_machine.travel("2026-03-02 10:00:00.654321Z", tick=False)
def test_the_advisory_page_times_carry_no_fraction_of_a_second(ready_case, bob):
    do_publish_case(ready_case, acting=bob)
    page = Client().get(f"/advisories/{ready_case.advisory.public_id}/").content.decode()
    times = re.findall(r'<time datetime="([^"]+)"', page)
    assert times
    assert all(re.fullmatch(SECOND, when) for when in times)


def test_a_stamp_is_utc_to_the_second():
    paris = timezone(timedelta(hours=1))
    assert stamp(datetime(2026, 3, 2, 11, 0, 0, 999999, tzinfo=paris)) == "2026-03-02T10:00:00Z"
