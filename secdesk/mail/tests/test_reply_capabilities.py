"""Reply addresses: a mail to one is attributed to the one person it was sent
to, and only while they keep their access; From and In-Reply-To attribute a
mail to nobody. The mail a member received leads nowhere once they are out."""

import re

import pytest
from django.test import Client

from secdesk.cases.actions.reporter_link import do_reissue_reporter_link
from secdesk.cases.actions.restriction import do_restrict_case
from secdesk.cases.models import Case
from secdesk.errors import Refused
from secdesk.mail import carry_out, delivery
from secdesk.mail.models import Inbound
from secdesk.mail.moderation import do_approve, moderated
from secdesk.mail.posts import do_post_reply
from secdesk.mail.tests.conftest import deliver, mail
from secdesk.mail.tests.test_intake_rules import _trusting, _with_results
from secdesk.outbox.models import OutgoingMessage
from secdesk.teams.joining import do_remove_member
from secdesk.web.tests.conftest import pass_second_factor

REPORTER = "finder@research.example"
SECRET = "The overflow is in virDomainGetXMLDesc: a 4 KiB name smashes the stack."
DKIM_PASS = "mx.libvirt.example; dkim=pass header.d=suse.example header.s=k1"


@pytest.fixture
def received(project, alice, bob, carol, new_case, sink, settings):
    """A case whose embargoed details alice posted: the mail each person got,
    over SMTP, by address."""
    case = new_case()
    do_post_reply(case, body=SECRET, acting=alice)
    settings.SMTP_RELAY = ("127.0.0.1", sink.port)
    delivery.deliver_due()
    return case, {address: m for rcpts, m in sink.messages for address in rcpts}


def _posts(case) -> int:
    return case.messages.count()


def _distributed() -> int:
    return OutgoingMessage.objects.filter(kind__in=["case-message", "internal-note"]).count()


def _answer(to: str, *, sender: str, body: str = "Any news?", headers=None):
    return deliver(mail(sender=sender, to=to, body=body, headers=headers), to=to)


def test_a_removed_members_mail_leads_nowhere(project, alice, bob, received):
    case, got = received
    bobs = got[bob.email]
    assert SECRET in bobs.get_content()
    do_remove_member(project, email=bob.email, reason="left the company", acting=alice)

    client = Client()
    text = bobs.get_content() + " ".join(str(v) for v in bobs.values())
    for url in re.findall(r"https?://[^\s>\"]+", text):
        assert SECRET not in client.get(url, follow=True).content.decode()
    reply_to = str(bobs["Reply-To"])
    token = reply_to.partition("+")[2].partition("@")[0]
    assert client.get(f"/r/{token}/").status_code == 404

    posts, sent = _posts(case), _distributed()
    for sender in (bob.email, REPORTER):
        row = _answer(reply_to, sender=sender)
        assert row.state == Inbound.HELD and row.case == case and not row.opened_case
        assert "no longer has access" in row.reasons[0]["reason"]
    assert (_posts(case), _distributed()) == (posts, sent)


def test_a_member_left_out_by_a_restriction_can_no_longer_post(project, alice, bob, received):
    case, got = received
    do_restrict_case(case, emails=[alice.email], acting=alice)
    _trusting(project)
    signed_in = _with_results(DKIM_PASS, above_received=True)
    reply_to = str(got[bob.email]["Reply-To"])
    posts, sent = _posts(case), _distributed()
    row = deliver(signed_in, to=reply_to)
    assert row.state == Inbound.HELD and row.case == case
    assert row.reasons[0]["rule"] == "dead_reply_address"
    assert (_posts(case), _distributed()) == (posts, sent)


@pytest.mark.parametrize("how", ["removed", "left_out"])
def test_a_member_removed_or_left_out_gets_nothing_more_about_the_case(
    project, alice, bob, received, how
):
    case, got = received
    bobs = got[bob.email]
    signed_in = Client()
    signed_in.force_login(bob.user)
    pass_second_factor(signed_in, bob.user)
    assert SECRET in signed_in.get(f"/cases/{case.project.slug}/{case.number}/").content.decode()
    if how == "removed":
        do_remove_member(project, email=bob.email, reason="left the company", acting=alice)
    else:
        do_restrict_case(case, emails=[alice.email], acting=alice)

    # Every address in the mail he got, and the case's own pages, with his
    # session and without one.
    reply_to = str(bobs["Reply-To"])
    token = reply_to.partition("+")[2].partition("@")[0]
    text = bobs.get_content() + " ".join(str(v) for v in bobs.values())
    urls = [
        *re.findall(r"https?://[^\s>\"]+", text),
        f"/cases/{case.project.slug}/{case.number}/",
        f"/r/{token}/",
    ]
    for url in urls:
        for client in (signed_in, Client()):
            assert SECRET not in client.get(url, follow=True).content.decode(), url

    # His authenticated answer to the address he was sent is held, not sent on.
    _trusting(project)
    posts, sent = _posts(case), _distributed()
    row = deliver(_with_results(DKIM_PASS, above_received=True), to=reply_to)
    assert row.state == Inbound.HELD and row.reasons[0]["rule"] == "dead_reply_address"
    assert (_posts(case), _distributed()) == (posts, sent)

    # And what the team writes next does not reach him.
    later = do_post_reply(case, body="The fix lands on Tuesday.", acting=alice)
    told = {a for row in OutgoingMessage.objects.filter(case_message=later) for a in row.to}
    assert alice.email in told and bob.email not in told


def test_a_reply_to_the_reporters_address_posts_as_the_reporter_whatever_from_says(alice, received):
    case, got = received
    reporter_reply = str(got[REPORTER]["Reply-To"])
    row = _answer(reporter_reply, sender="someone@webmail.example", body="Logs attached.")
    assert row.state == Inbound.ACCEPTED and row.case == case
    message = case.messages.order_by("pk").last()
    assert message.author == case.reporter and message.body.startswith("Logs attached.")
    to = {a for r in OutgoingMessage.objects.filter(case_message=message) for a in r.to}
    assert alice.email in to and REPORTER not in to


def test_a_reporters_reply_address_with_a_members_from_is_held(bob, received):
    case, got = received
    row = _answer(str(got[REPORTER]["Reply-To"]), sender=bob.email)
    assert row.state == Inbound.HELD and row.case == case
    assert row.reasons[-1]["rule"] == "claims_membership"


def test_mail_from_the_reporter_with_only_in_reply_to_is_held_with_the_case_suggested(
    received,
):
    case, got = received
    posts, sent = _posts(case), _distributed()
    thread = {"In-Reply-To": str(got[REPORTER]["Message-ID"])}
    row = _answer("security@libvirt.example", sender=REPORTER, headers=thread)
    # Held against the case it names, not as a new report: no case is opened.
    assert row.state == Inbound.HELD and row.case == case and not row.opened_case
    assert Case.objects.count() == 1
    [threaded] = [r for r in row.reasons if r["rule"] == "threaded_to_case"]
    assert threaded["suggested_case"] == case.pk
    assert case.reference not in threaded["reason"]
    assert (_posts(case), _distributed()) == (posts, sent)


def test_a_members_thread_without_their_reply_address_is_held_not_posted(project, bob, received):
    case, got = received
    _trusting(project)
    raw = _with_results(DKIM_PASS, above_received=True).replace(
        b"Subject:", f"In-Reply-To: {got[bob.email]['Message-ID']}\r\nSubject:".encode()
    )
    row = deliver(raw)
    assert row.state == Inbound.HELD and row.case == case and not row.opened_case
    assert any(r.get("suggested_case") == case.pk for r in row.reasons)
    assert (_posts(case), Case.objects.count()) == (2, 1)


def test_after_the_link_is_reissued_the_old_reporter_address_is_held_and_the_old_link_dead(
    alice, received
):
    case, got = received
    old = got[REPORTER]
    [old_link] = re.findall(r"/r/([0-9a-f]{32})/", old.get_content())
    client = Client()
    assert client.get(f"/r/{old_link}/").status_code == 200
    do_reissue_reporter_link(case, acting=alice)
    assert client.get(f"/r/{old_link}/").status_code == 404
    row = _answer(str(old["Reply-To"]), sender=REPORTER)
    assert row.state == Inbound.HELD and row.case == case
    assert row.reasons[0] == {
        "rule": "dead_reply_address",
        "reason": f"the reply address of {REPORTER} was revoked",
    }
    new = OutgoingMessage.objects.get(kind="reporter-link")
    assert _answer(new.reply_to, sender=REPORTER).state == Inbound.ACCEPTED


def test_a_members_own_reply_address_needs_their_authentication(project, bob, received):
    case, got = received
    reply_to = str(got[bob.email]["Reply-To"])
    row = _answer(reply_to, sender=REPORTER)
    assert row.state == Inbound.HELD and row.case == case
    assert row.reasons[0]["rule"] == "reply_address_unauthenticated"
    _trusting(project)
    row = deliver(_with_results(DKIM_PASS, above_received=True), to=reply_to)
    assert row.state == Inbound.ACCEPTED
    assert case.messages.order_by("pk").last().author.email == bob.email


def test_a_member_authenticated_through_another_members_reply_address_is_held(
    project, bob, carol, received
):
    case, got = received
    _trusting(project)
    row = deliver(
        _with_results(DKIM_PASS, above_received=True), to=str(got[carol.email]["Reply-To"])
    )
    assert row.state == Inbound.HELD and row.case == case
    assert row.reasons[0]["rule"] == "reply_address_mismatch"


def test_another_projects_reply_address_leads_into_no_case(project, root, received):
    from secdesk.teams.actions import do_create_project

    case, got = received
    other = do_create_project(
        slug="qemu", name="qemu", security_address="security@qemu.example", acting=root
    )
    token = str(got[REPORTER]["Reply-To"]).partition("+")[2]
    to = f"security+{token.partition('@')[0]}@qemu.example"
    row = _answer(to, sender=REPORTER)
    assert row.project == other and row.state == Inbound.HELD
    assert row.case != case and row.case.project == other
    assert row.reasons[0]["reason"] == "the reply address belongs to another project"


def test_approving_a_held_post_attributes_it_to_the_live_holder_never_to_from(alice, bob, received):
    case, got = received
    row = _answer(str(got[REPORTER]["Reply-To"]), sender=bob.email)
    assert row.state == Inbound.HELD
    do_approve(row, acting=alice)
    assert case.messages.order_by("pk").last().author == case.reporter


def test_a_held_post_whose_holder_is_gone_is_approved_only_as_the_reporters(
    project, alice, bob, received
):
    case, got = received
    do_remove_member(project, email=bob.email, reason="left", acting=alice)
    row = _answer(str(got[bob.email]["Reply-To"]), sender=bob.email)
    with pytest.raises(Refused, match="as the reporter's"):
        do_approve(row, acting=alice)
    assert Case.objects.get(pk=case.pk).messages.count() == 2
    do_approve(row, acting=alice, as_reporter=True)
    assert case.messages.order_by("pk").last().author == case.reporter


def test_approving_a_held_post_never_attributes_it_to_a_member(
    project, alice, bob, carol, received
):
    case, got = received
    _trusting(project)
    raw = _with_results(
        "mx.libvirt.example; dkim=pass header.d=debian.example header.s=k1", above_received=True
    ).replace(b"bob@suse.example", b"carol@debian.example")
    row = deliver(raw, to=str(got[bob.email]["Reply-To"]))
    assert row.state == Inbound.HELD and row.reasons[0]["rule"] == "reply_address_mismatch"
    with pytest.raises(Refused, match="as the reporter's"):
        do_approve(row, acting=alice)
    do_approve(row, acting=alice, as_reporter=True)
    assert case.messages.order_by("pk").last().author == case.reporter


def _restricted(case, alice):
    do_restrict_case(case, emails=[alice.email], acting=alice)
    return case


def _moderated_by(person) -> set[int]:
    return {row.pk for row in moderated(person, [Inbound.HELD, Inbound.QUARANTINED])}


@pytest.mark.parametrize("how", ["in_reply_to", "subject_tag"])
def test_mail_naming_a_restricted_case_is_held_against_it_for_those_it_admits(
    alice, dave, received, how
):
    case, got = received
    _restricted(case, alice)
    headers = {"In-Reply-To": str(got[REPORTER]["Message-ID"])} if how == "in_reply_to" else {}
    subject = f"Automatic reply: [{case.reference}] {case.title}"
    row = deliver(
        mail(sender=REPORTER, subject=subject, body=f"> {SECRET}", headers=headers),
        mail_from="",
    )
    assert row.state == Inbound.HELD and row.case == case and not row.opened_case
    assert Case.objects.count() == 1
    assert row.pk in _moderated_by(alice)
    assert row.pk not in _moderated_by(dave)


def test_a_bounce_comes_back_to_the_recipients_reply_address_and_is_held_in_its_case(
    alice, bob, dave, received, sink
):
    case, got = received
    _restricted(case, alice)
    senders = zip(sink.messages, sink.senders, strict=True)
    [bobs_sender] = [sender for (rcpts, _), sender in senders if rcpts == [bob.email]]
    assert bobs_sender == str(got[bob.email]["Reply-To"])
    bounce = mail(
        sender="MAILER-DAEMON@suse.example",
        to=bobs_sender,
        subject="Undelivered Mail Returned to Sender",
        body=f"This is the mail system. Your message could not be delivered:\n\n> {SECRET}",
    )
    row = deliver(bounce, mail_from="", to=bobs_sender)
    assert row.state == Inbound.HELD and row.case == case and not row.opened_case
    assert row.pk not in _moderated_by(dave)


def test_mail_into_a_restricted_case_that_fails_is_quarantined_against_the_case(
    alice, dave, received, monkeypatch
):
    case, got = received
    _restricted(case, alice)

    def fails(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(carry_out, "do_append_mails", fails)
    monkeypatch.setattr(carry_out, "do_append_mail", fails)
    row = _answer(str(got[REPORTER]["Reply-To"]), sender=REPORTER, body=SECRET)
    assert row.state == Inbound.QUARANTINED and row.case == case
    assert row.pk in _moderated_by(alice)
    assert row.pk not in _moderated_by(dave)


@pytest.mark.parametrize("how", ["removed", "left_out"])
def test_a_member_who_reported_a_case_hears_nothing_more_once_out(project, alice, bob, carol, how):
    signed = _with_results(DKIM_PASS, above_received=True)
    _trusting(project)
    deliver(signed)
    case = Case.objects.get()
    assert case.reporter == bob
    if how == "removed":
        do_remove_member(project, email=bob.email, reason="left the company", acting=alice)
    else:
        do_restrict_case(case, emails=[alice.email, carol.email], acting=alice)
    later = do_post_reply(case, body=SECRET, acting=alice)
    told = {a for row in OutgoingMessage.objects.filter(case_message=later) for a in row.to}
    assert alice.email in told and bob.email not in told
