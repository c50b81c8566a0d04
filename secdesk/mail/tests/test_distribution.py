"""A case message goes out one envelope per recipient, each with that
recipient's own reply address: nobody sees who else received it, and a reply
is attributed to the one person it was sent to."""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from secdesk.cases.access import capability_holder, case_audience
from secdesk.cases.models import Capability
from secdesk.mail import delivery
from secdesk.mail.addresses import split
from secdesk.mail.distribution import distribute
from secdesk.mail.posts import do_post_reply
from secdesk.outbox.models import OutgoingMessage
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


def _holder(address: str):
    _, token, _ = split(address)
    return capability_holder(token, Capability.Kind.REPLY)


def test_a_reply_reaches_each_recipient_alone_with_their_own_reply_address(
    project, alice, big_team, new_case, sink, settings
):
    case = new_case()
    members = set(case_audience(case).values_list("email", flat=True))
    assert len(members) == 22
    message = do_post_reply(case, body="Fixed in the next release.", acting=alice)

    team, reporter = OutgoingMessage.objects.filter(case_message=message).order_by("pk")
    assert set(team.to) == members and reporter.to == [REPORTER]
    assert not team.cc and not reporter.cc
    reply_tos = {**team.reply_tos, **reporter.reply_tos}
    assert set(reply_tos) == members | {REPORTER}
    for address, reply_to in reply_tos.items():
        holder = _holder(reply_to)
        assert holder.case == case and holder.person.email == address
    assert len(set(reply_tos.values())) == 23

    settings.SMTP_RELAY = ("127.0.0.1", sink.port)
    assert delivery.deliver_due() == {"sent": 2, "failed": 0}
    assert len(sink.messages) == 23
    for address in members:
        [team_mail] = sink.to(address)
        [rcpt] = [rcpts for rcpts, m in sink.messages if m is team_mail]
        assert rcpt == [address] and team_mail["To"] == address
        assert _holder(str(team_mail["Reply-To"])).person.email == address
        assert "Embargoed: do not forward" in team_mail.get_content()
        assert "/r/" not in team_mail.get_content()
    [reporter_mail] = sink.to(REPORTER)
    assert reporter_mail["To"] == REPORTER
    assert "This is about your report" in reporter_mail.get_content()


def test_the_reporters_private_link_is_only_in_mail_to_the_reporter(project, alice, bob, new_case):
    case = new_case()
    do_post_reply(case, body="Can you confirm the fix?", acting=alice)
    links = {
        address: re.findall(r"/r/([0-9a-f]{32})/", row.body)
        for row in OutgoingMessage.objects.filter(case=case, kind="case-message")
        for address in row.to
    }
    [link] = links.pop(REPORTER)
    assert capability_holder(link, Capability.Kind.LINK).person == case.reporter
    assert links and not any(links.values())


def test_a_post_to_fifty_members_takes_a_few_queries_and_two_rows(project, alice, new_case):
    for n in range(50):
        membership = do_add_member(
            project, email=f"member{n}@distro{n}.example", role="member", acting=alice
        )
        do_accept_policy(project, acting=membership.person)
    case = new_case()
    with CaptureQueriesContext(connection) as queries:
        do_post_reply(case, body="Patch attached.", acting=alice)
    assert case_audience(case).count() > 50
    team, reporter = OutgoingMessage.objects.filter(kind="case-message").order_by("pk")
    assert len(team.to) == len(team.reply_tos) > 50 and reporter.to == [REPORTER]
    assert len(queries) < 30


def test_an_internal_note_goes_to_the_members_only(project, alice, bob, new_case):
    case = new_case()
    message = do_post_reply(case, body="Looks like a dup of #12", internal=True, acting=alice)
    rows = OutgoingMessage.objects.filter(case_message=message)
    assert {row.kind for row in rows} == {"internal-note"}
    assert REPORTER not in {a for row in rows for a in row.to}
    assert bob.email in {a for row in rows for a in row.to}
    assert [row.dedupe_key for row in rows] == [f"message:{message.pk}:team"]


def test_a_reporter_who_is_a_member_gets_the_members_mail_only(project, alice, new_case):
    case = new_case()
    case.reporter = alice
    case.save(update_fields=["reporter"])
    message = do_post_reply(case, body="Noted.", acting=alice)
    rows = OutgoingMessage.objects.filter(case_message=message)
    assert len([row for row in rows if alice.email in row.to]) == 1
    assert not rows.filter(dedupe_key__endswith=":reporter").exists()


def test_a_message_is_distributed_once_only(project, alice, bob, new_case):
    case = new_case()
    message = do_post_reply(case, body="Confirmed.", acting=bob)
    count = OutgoingMessage.objects.filter(case_message=message).count()
    with transaction.atomic():
        assert distribute(message, to_reporter=True) == []
    assert OutgoingMessage.objects.filter(case_message=message).count() == count
