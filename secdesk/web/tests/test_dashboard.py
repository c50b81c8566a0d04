from datetime import timedelta

import time_machine

from secdesk.cases.models import Case, Embargo, EmbargoState, ReportState
from secdesk.web.tests.conftest import NOW


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
    assert body.index("Held report") < body.index("Accepted") < body.index(case.title)
    assert "no embargo" in body
