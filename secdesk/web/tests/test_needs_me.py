"""The dashboard's "Needs me": what waits for this person, and nothing else."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from secdesk.cases.models import EmbargoProposal
from secdesk.mail.models import InboundMessage
from secdesk.teams.models import JoinRequest, Person, Role, Vouch
from secdesk.web.tests.conftest import NOW, join, make_person


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def needs_section(client) -> str:
    body = client.get("/").content.decode()
    if 'id="needs-me-heading"' not in body:
        return ""
    start = body.index('id="needs-me-heading"')
    return body[start : body.index("</section>", start)]


def test_nothing_waiting_shows_no_section(frozen, login_as, bob, case):
    assert needs_section(login_as(bob)) == ""


def test_a_proposal_by_someone_else_waits_for_my_agreement(frozen, login_as, alice, bob, case):
    EmbargoProposal.objects.create(
        embargo=case.embargo,
        proposed_by=alice,
        proposed_at=NOW,
        end_at=NOW + timedelta(days=25),
        is_extension=True,
        justification="backports",
    )
    assert "Extension to agree" in needs_section(login_as(bob))
    # The proposer does not wait for themselves.
    assert "Extension to agree" not in needs_section(login_as(alice))


def test_an_embargo_ending_within_72_hours_is_flagged(login_as, bob, case):
    with time_machine.travel(case.embargo.end_at - timedelta(hours=71), tick=False):
        assert "Embargo ends soon" in needs_section(login_as(bob))
    with time_machine.travel(case.embargo.end_at - timedelta(hours=73), tick=False):
        assert "Embargo ends soon" not in needs_section(login_as(bob))


def test_a_request_to_join_waits_for_my_vouch_until_i_give_it(frozen, login_as, bob, libvirt):
    frank = Person.objects.create(email="frank@vendor.example", name="Frank")
    request = JoinRequest.objects.create(
        project=libvirt, person=frank, organisation="Vendor", statement="hi", created_at=NOW
    )
    assert "Frank" in needs_section(login_as(bob))
    Vouch.objects.create(request=request, member=bob, at=NOW)
    assert "Frank" not in needs_section(login_as(bob))


def test_a_security_issue_without_fixes_is_listed(frozen, login_as, bob, case):
    case.is_security_issue = True
    case.save()
    section = needs_section(login_as(bob))
    assert "Fixes missing" in section
    assert "no fix is recorded" in section


def test_moderators_see_how_many_reports_are_held(frozen, login_as, bob, libvirt):
    dave = make_person("dave@example.org", "Dave Moderator")
    join(dave, libvirt, Role.MODERATOR)
    InboundMessage.objects.create(
        project=libvirt,
        raw=b"Subject: x\n\nbody",
        size=16,
        state="held",
        sender="stranger@example.net",
        received_at=timezone.now(),
    )
    assert "1 report waiting for moderation" in needs_section(login_as(dave))
    assert 'href="/moderation/"' in needs_section(login_as(dave))
    assert "waiting for moderation" not in needs_section(login_as(bob))
