"""Capabilities: each token stands for one person in one case, and dies with
that person's access."""

from django.db import transaction

from secdesk.cases.access import capability_holder
from secdesk.cases.actions.restriction import do_restrict_case
from secdesk.cases.capabilities import (
    reply_token,
    reporter_link_token,
    revoke_reporter_capabilities,
    tokens_for,
)
from secdesk.cases.models import Capability
from secdesk.mail import distribution
from secdesk.teams.joining import do_remove_member

REPLY, LINK = Capability.Kind.REPLY, Capability.Kind.LINK


def test_each_person_gets_a_token_of_their_own_and_keeps_it(new_case, alice, bob):
    case = new_case()
    with transaction.atomic():
        first = tokens_for(case, [alice, bob])
        again = tokens_for(case, [bob, alice])
    assert first == again
    assert first[alice.pk] != first[bob.pk]
    assert capability_holder(first[bob.pk], REPLY).person == bob


def test_a_reply_token_is_not_a_private_link(new_case, bob):
    case = new_case()
    with transaction.atomic():
        token = reply_token(case, bob)
    assert capability_holder(token, LINK) is None


def test_removed_member_reply_token_admits_nobody(new_case, project, alice, bob):
    case = new_case()
    with transaction.atomic():
        token = reply_token(case, bob)
    do_remove_member(project, email=bob.email, reason="left the company", acting=alice)
    assert capability_holder(token, REPLY) is None


def test_member_left_out_of_a_restricted_case_loses_its_reply_token(new_case, alice, bob):
    case = new_case()
    with transaction.atomic():
        token = reply_token(case, bob)
    do_restrict_case(case, emails=[alice.email], acting=alice)
    assert capability_holder(token, REPLY) is None


def test_revoking_the_reporters_link_ends_their_reply_tokens_too(new_case):
    case = new_case()
    with transaction.atomic():
        link = reporter_link_token(case)
        reply = reply_token(case, case.reporter)
        revoke_reporter_capabilities(case)
        fresh = reporter_link_token(case)
    assert capability_holder(link, LINK) is None
    assert capability_holder(reply, REPLY) is None
    assert capability_holder(fresh, LINK).case == case


def test_a_notice_about_a_case_is_one_mail_per_person_with_their_own_reply_address(
    new_case, project, alice, bob
):
    case = new_case()
    with transaction.atomic():
        rows = distribution.enqueue_each(
            project=project,
            people=[alice, bob],
            subject="reminder",
            body="The embargo ends soon.",
            kind="embargo-reminder",
            case=case,
            dedupe_key=f"reminder:{case.pk}",
        )
        again = distribution.enqueue_each(
            project=project,
            people=[alice, bob],
            subject="reminder",
            body="The embargo ends soon.",
            kind="embargo-reminder",
            case=case,
            dedupe_key=f"reminder:{case.pk}",
        )
    assert [row.to for row in rows] == [[alice.email], [bob.email]]
    assert [row.pk for row in again] == [row.pk for row in rows]
    tokens = [row.reply_to.split("+")[1].split("@")[0] for row in rows]
    assert [capability_holder(t, REPLY).person for t in tokens] == [alice, bob]
