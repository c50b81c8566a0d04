"""A case message goes out as a mailing list sends it: one envelope for the team,
one for the reporter, and the members do not see each other's addresses."""

import pytest
from django.db import transaction

from secdesk.cases.actions.messages import do_post_reply
from secdesk.mail import delivery
from secdesk.mail.addresses import case_address
from secdesk.mail.distribution import distribute
from secdesk.mail.models import OutgoingMessage
from secdesk.teams.access import case_audience
from secdesk.teams.actions import do_accept_policy, do_add_member

REPORTER = "finder@research.example"


@pytest.fixture
def big_team(project, alice):
    """libvirt with twenty more members."""
    for n in range(20):
        membership = do_add_member(
            project, email=f"member{n}@distro{n}.example", role="member", acting=alice
        )
        do_accept_policy(project, acting=membership.person)


def _envelopes(message) -> dict[str, OutgoingMessage]:
    rows = OutgoingMessage.objects.filter(case_message=message)
    return {row.dedupe_key.rpartition(":")[2]: row for row in rows}


def test_a_reply_is_one_envelope_for_the_whole_team_and_one_for_the_reporter(
    project, alice, big_team, new_case, sink, monkeypatch
):
    case = new_case()
    members = set(case_audience(case).values_list("email", flat=True))
    assert len(members) == 22
    message = do_post_reply(case, body="Fixed in the next release.", acting=alice)

    envelopes = _envelopes(message)
    assert set(envelopes) == {"team", "reporter"}
    team, reporter = envelopes["team"], envelopes["reporter"]
    assert set(team.to) == members and team.header_to == case_address(case)
    assert reporter.to == [REPORTER] and reporter.header_to == ""

    monkeypatch.setenv("SECDESK_SMTP_RELAY", f"127.0.0.1:{sink.port}")
    assert delivery.deliver_due() == {"sent": 2, "failed": 0}
    [team_mail] = sink.to(alice.email)
    assert all(sink.to(address) == [team_mail] for address in members)
    assert team_mail["To"] == case_address(case)
    headers = " ".join(str(value) for value in team_mail.values())
    assert not [address for address in members if address in headers]
    assert "Embargoed: do not forward" in team_mail.get_content()
    [reporter_mail] = sink.to(REPORTER)
    assert reporter_mail["To"] == REPORTER
    assert "This is about your report" in reporter_mail.get_content()


def test_an_internal_note_is_only_the_team_envelope(project, alice, bob, new_case):
    case = new_case()
    message = do_post_reply(case, body="Looks like a dup of #12", internal=True, acting=alice)
    [team] = OutgoingMessage.objects.filter(case_message=message)
    assert team.dedupe_key == f"message:{message.pk}:team" and team.kind == "internal-note"
    assert REPORTER not in team.to and bob.email in team.to


def test_a_reporter_who_is_a_member_gets_the_team_envelope_only(project, alice, new_case):
    case = new_case()
    case.reporter = alice
    case.save(update_fields=["reporter"])
    message = do_post_reply(case, body="Noted.", acting=alice)
    assert list(_envelopes(message)) == ["team"]


def test_a_message_is_distributed_once_only(project, alice, bob, new_case):
    case = new_case()
    message = do_post_reply(case, body="Confirmed.", acting=bob)
    with transaction.atomic():
        assert distribute(message, to_reporter=True) == []
    assert OutgoingMessage.objects.filter(case_message=message).count() == 2
