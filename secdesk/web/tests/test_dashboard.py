from datetime import timedelta

import time_machine

from secdesk.advisories.actions import do_assign_cve
from secdesk.cases.actions import triage
from secdesk.cases.actions.restriction import do_restrict_case
from secdesk.cases.models import Case, Embargo, EmbargoState, ReportState
from secdesk.web.tests.conftest import NOW

CVSS_HIGH = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"


def test_member_sees_the_case_with_its_embargo_countdown(login_as, bob, case):
    with time_machine.travel(NOW, tick=False):
        response = login_as(bob).get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert case.reference in body
    assert case.title in body
    assert "Accepted" in body
    assert "embargo active" in body
    assert "9 days 4 hours left" in body
    assert (
        '<time class="moment" datetime="2026-03-11T14:00:00Z">Wed 2026-03-11 14:00 UTC</time>'
        in body
    )


def test_outsider_sees_no_cases(login_as, charlie, case):
    response = login_as(charlie).get("/")
    assert response.status_code == 200
    assert case.title not in response.content.decode()
    assert b"No cases to show" in response.content


def test_removed_member_sees_no_cases(login_as, bob, case):
    bob.memberships.update(removed_at=NOW)
    assert case.title not in login_as(bob).get("/").content.decode()


def test_overdue_embargo_stands_out(login_as, bob, case):
    with time_machine.travel(NOW + timedelta(days=10), tick=False):
        body = login_as(bob).get("/").content.decode()
    assert "case-line-overdue" in body
    assert "embargo overdue" in body
    assert "ended 20 hours ago" in body


def test_cases_are_grouped_by_report_state(login_as, bob, case, libvirt):
    held = Case.objects.create(
        project=libvirt,
        number=2,
        title="Held report",
        state=ReportState.HELD,
        received_at=NOW,
    )
    Embargo.objects.create(case=held, state=EmbargoState.NONE)
    with time_machine.travel(NOW, tick=False):
        body = login_as(bob).get("/").content.decode()
    accepted = body.index('Accepted <span class="count">(1)</span>')
    assert body.index("Held report") < accepted < body.index(case.title)
    assert "no embargo" in body


def test_the_case_box_opens_a_case_by_its_reference_or_its_number_alone(login_as, bob, case):
    client = login_as(bob)
    for asked in ("libvirt#1", "1", "#1"):
        response = client.get("/", {"case": asked})
        assert response.status_code == 302 and response["Location"] == "/cases/libvirt/1/"


def test_the_case_box_answers_a_hidden_case_as_a_missing_one(login_as, alice, bob, case):
    do_restrict_case(case, emails=[alice.email], acting=alice)
    client = login_as(bob)

    hidden = client.get("/", {"case": "libvirt#1"})
    missing = client.get("/", {"case": "libvirt#2"})

    assert hidden.status_code == missing.status_code == 404
    assert "no case libvirt#1 that you may see" in hidden.content.decode()
    assert "no case libvirt#2 that you may see" in missing.content.decode()
    assert case.title not in hidden.content.decode()
    refused = client.get("/", {"case": "libvirt"})
    assert refused.status_code == 400 and "is not a case reference" in refused.content.decode()


def test_a_search_finds_no_hidden_case_and_no_count_includes_one(login_as, alice, bob, case):
    triage.do_record_triage(case, security_issue=True, reasoning="x", cvss3=CVSS_HIGH, acting=alice)
    do_assign_cve(case, cve_id="CVE-2026-4242", acting=alice)
    do_restrict_case(case, emails=[alice.email], acting=alice)
    seen = Case.objects.create(
        project=case.project,
        number=2,
        title="Seen by bob",
        state=ReportState.ACCEPTED,
        received_at=NOW,
    )
    Embargo.objects.create(case=seen, state=EmbargoState.NONE)
    client = login_as(bob)

    for term in ("GetXMLDesc", "reporter@example.net", "CVE-2026-4242", "libvirt#1", "1"):
        body = client.get("/", {"q": term, "state": "all"}).content.decode()
        assert case.title not in body, term
        assert "No case matches" in body and "1 case<" not in body, term
    listed = client.get("/").content.decode()
    assert "Seen by bob" in listed and case.title not in listed
    assert "1 case<" in listed and 'Accepted <span class="count">(1)</span>' in listed
    # Alice, who may see it, finds it by each of them.
    for term in ("GetXMLDesc", "reporter@example.net", "CVE-2026-4242", "libvirt#1"):
        assert case.title in login_as(alice).get("/", {"q": term}).content.decode(), term


def test_the_search_form_refuses_a_project_not_of_the_persons_own(login_as, bob, case):
    response = login_as(bob).get("/", {"project": "elsewhere"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
