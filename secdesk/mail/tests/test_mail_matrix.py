"""The mail matrix: every persona × every way of sending mail into a case →
posted, held or discarded. Beside the access matrix (web, API), it is built
from the products of PERSONAS and WAYS, so a persona or a way added without an
expectation for every pairing fails here, and docs/security.md shows the table
this file expects (`test_the_security_page_shows_this_matrix`).

The world of each test: alice (admin) posts embargoed details into a case, and
the mail reaches alice, bob, carol, dave and the reporter, each with a reply
address of their own. Then the case is restricted to alice and bob (carol is
left out) and dave is removed from the team. bob, carol and dave have bound
OpenPGP keys; what a way signs, it signs with the sender's own key (one bound
to nobody for those who have none), except where the way says otherwise.
"""

import itertools
import re
import secrets
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pysequoia
import pytest

from secdesk.accounts.factors import do_set_password
from secdesk.accounts.reset import do_mail_password_reset
from secdesk.cases.actions.reporter_link import do_reissue_reporter_link
from secdesk.cases.actions.restriction import do_restrict_case
from secdesk.cases.models import Message
from secdesk.conftest import make_cast, receive_case, world_per_module
from secdesk.mail.addresses import resolve, security_addresses
from secdesk.mail.models import Inbound
from secdesk.mail.posts import do_post_reply
from secdesk.mail.tests.conftest import deliver
from secdesk.outbox.models import OutgoingMessage
from secdesk.teams.joining import do_remove_member
from secdesk.teams.keys import do_add_member_key
from secdesk.teams.models import Person

POSTED, HELD, DISCARDED = "posted", "held", "discarded"
# Turned away at RCPT: stored nowhere, read by nobody, bounced to the sender.
REFUSED = "refused"
# Accepted, but as a new report of its own: nothing of it reaches the case.
NEW_REPORT = "a report of its own"
# Whoever writes to the reporter's reply address writes as the reporter: the
# address is the reporter's credential, and From names nobody.
AS_REPORTER = "posted as the reporter's"

PERSONAS = {
    "reporter": "the case's reporter",
    "member": "a member the case admits (bob)",
    "left_out": "a member left out by the case's restriction (carol)",
    "removed": "a member removed from the team (dave)",
    "outsider": "someone who never received the case's mail",
}

WAYS = {
    "own_address": "to the reply address they were sent, signed by their own key if a member",
    "others_address": "to someone else's reply address (the reporter's; bob's, for the reporter)",
    "revoked_address": "to the reporter's reply address after the reporter's link was reissued",
    "in_reply_to_only": "to the security address, answering the case's mail by In-Reply-To",
    "unsigned": "to their own reply address, unsigned",
    "partly_signed": "to their own reply address, a signed block with unsigned text after it",
    "replayed": "to their own reply address, a signed mail sent a second time",
    "sent_twice": "to their own reply address, the same mail again (as an MTA retries)",
    "another_key": "to their own reply address, signed by another member's key (alice's)",
    "forged_from": "by someone else, From their address, to the security address",
    "own_mail_back": "a mail secdesk sent, coming back with its own Message-ID",
    "account_mail_reply": "to the security address, answering bob's password reset mail",
    "account_mail_answer": "to the address bob's password reset mail asks answers to",
}

# Everything not named here is held for a moderator.
EXPECT = {
    **{(persona, way): HELD for persona, way in itertools.product(PERSONAS, WAYS)},
    # The reporter's own reply address is their authentication, signed or not.
    ("reporter", "own_address"): POSTED,
    ("reporter", "unsigned"): POSTED,
    ("reporter", "partly_signed"): POSTED,
    ("reporter", "replayed"): POSTED,
    ("reporter", "another_key"): POSTED,
    # A member: their own reply address and a signature over all of it by their key.
    ("member", "own_address"): POSTED,
    # Only the reporter could have given them the address (members are never sent it).
    ("left_out", "others_address"): AS_REPORTER,
    ("removed", "others_address"): AS_REPORTER,
    ("outsider", "others_address"): AS_REPORTER,
    **{(persona, "own_mail_back"): DISCARDED for persona in PERSONAS},
    # The first is read as its way says; a copy of what is in already, never.
    ("reporter", "sent_twice"): DISCARDED,
    ("member", "sent_twice"): DISCARDED,
    # An answer quoting a reset link must reach no team.
    **{(persona, "account_mail_answer"): REFUSED for persona in PERSONAS},
    # Mail about an account names no case: a member's signed answer is a new
    # thread from a member, like any other.
    ("member", "account_mail_reply"): NEW_REPORT,
    ("left_out", "account_mail_reply"): NEW_REPORT,
}

SECRET = "The overflow is in virDomainGetXMLDesc: a 4 KiB name smashes the stack."
REPORTER = "finder@research.example"
SECURITY = "security@libvirt.example"


def test_every_persona_and_way_has_an_expectation():
    assert set(EXPECT) == set(itertools.product(PERSONAS, WAYS))


@dataclass
class World:
    case: object
    people: dict  # persona → Person
    keys: dict  # persona → pysequoia.Tsk (bound to the member, or to nobody)
    addresses: dict  # persona → the reply address their mail carried
    team_mail_id: str
    account_mail_id: str
    account_answer_to: str
    admin: Person


def _build_world() -> World:
    cast = make_cast()
    alice, bob, carol, dave = cast.alice, cast.bob, cast.carol, cast.dave
    keys = {persona: pysequoia.Tsk.generate(persona) for persona in PERSONAS}
    keys["alice"] = pysequoia.Tsk.generate("alice")
    bound = {"member": bob, "left_out": carol, "removed": dave, "alice": alice}
    for persona, person in bound.items():
        do_add_member_key(str(keys[persona].extract_certificate()), acting=person)
    case = receive_case(cast.project, alice)
    do_post_reply(case, body=SECRET, acting=alice)
    team, reporter = OutgoingMessage.objects.filter(kind="case-message").order_by("pk")
    addresses = {**team.reply_tos, **reporter.reply_tos}
    do_restrict_case(case, emails=[alice.email, bob.email], acting=alice)
    do_remove_member(case.project, email=dave.email, reason="left the company", acting=alice)
    outsider = Person.objects.create(email="mallory@elsewhere.example")
    people = {
        "reporter": case.reporter,
        "member": bob,
        "left_out": carol,
        "removed": dave,
        "outsider": outsider,
    }
    # bob forgot the password he chose: a reset link is mailed to him.
    do_set_password(bob, "the one bob forgot, long enough", acting=bob, how="chosen")
    do_mail_password_reset(bob.email)
    account_mail = OutgoingMessage.objects.get(kind="password-reset")
    domain = SECURITY.partition("@")[2]
    never_issued = f"security+{secrets.token_hex(16)}@{domain}"
    return World(
        case=case,
        people=people,
        keys=keys,
        addresses={
            persona: addresses.get(person.email, never_issued) for persona, person in people.items()
        },
        team_mail_id=team.message_id,
        account_mail_id=account_mail.message_id,
        account_answer_to=account_mail.headers["Reply-To"],
        admin=alice,
    )


_world_built, world = world_per_module(_build_world)


def _mail(sender: str, to: str, body: str, **headers) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, "Re: the overflow"
    message["Message-ID"] = headers.pop("message_id", None) or make_msgid(domain="example.net")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def _signed(key, text: str) -> str:
    return pysequoia.sign(key.signer(), text.encode(), mode=pysequoia.SignatureMode.CLEAR).decode()


def _send(world: World, persona: str, way: str):
    """Carry out `way` for `persona`; the inbound row of the mail judged, or None
    for mail refused at RCPT."""
    person, key = world.people[persona], world.keys[persona]
    own, text = world.addresses[persona], f"Tested the patch ({persona}, {way})."
    signed = _signed(key, text + "\n") if persona in ("member", "left_out", "removed") else text
    if way == "own_address":
        return deliver(_mail(person.email, own, signed), mail_from=person.email, to=own)
    if way == "others_address":
        other = world.addresses["member" if persona == "reporter" else "reporter"]
        return deliver(_mail(person.email, other, signed), mail_from=person.email, to=other)
    if way == "revoked_address":
        old = world.addresses["reporter"]
        do_reissue_reporter_link(world.case, acting=world.admin)
        return deliver(_mail(person.email, old, signed), mail_from=person.email, to=old)
    if way == "in_reply_to_only":
        raw = _mail(person.email, SECURITY, signed, In_Reply_To=world.team_mail_id)
        return deliver(raw, mail_from=person.email)
    if way == "unsigned":
        return deliver(_mail(person.email, own, text), mail_from=person.email, to=own)
    if way == "partly_signed":
        body = f"{_signed(key, text + chr(10))}\nP.S. Publish it today, the embargo is off.\n"
        return deliver(_mail(person.email, own, body), mail_from=person.email, to=own)
    if way == "replayed":
        raw = _mail(person.email, own, _signed(key, text + "\n"))
        deliver(raw, mail_from=person.email, to=own)
        again = raw.replace(b"Message-ID: <", b"Message-ID: <again.")
        return deliver(again, mail_from=person.email, to=own)
    if way == "sent_twice":
        raw = _mail(person.email, own, signed)
        deliver(raw, mail_from=person.email, to=own)
        return deliver(b"Received: by mx.libvirt.example\n" + raw, mail_from=person.email, to=own)
    if way == "another_key":
        body = _signed(world.keys["alice"], text + "\n")
        return deliver(_mail(person.email, own, body), mail_from=person.email, to=own)
    if way == "forged_from":
        raw = _mail(person.email, SECURITY, text)
        return deliver(raw, mail_from="bounce@forger.example")
    if way == "own_mail_back":
        raw = _mail(person.email, SECURITY, text, message_id=world.team_mail_id)
        return deliver(raw, mail_from=person.email)
    if way == "account_mail_answer":
        to = world.account_answer_to
        if resolve(to, security_addresses()) is None:
            return None  # what the daemon answers at RCPT: 550, no such address
        return deliver(_mail(person.email, to, signed), mail_from=person.email, to=to)
    if way == "account_mail_reply":
        raw = _mail(person.email, SECURITY, signed, In_Reply_To=world.account_mail_id)
        return deliver(raw, mail_from=person.email)
    raise AssertionError(f"no way {way!r}")


def _outcome(world: World, row, persona: str) -> str:
    if row is None:
        return REFUSED
    if row.state == Inbound.DISCARDED:
        return DISCARDED
    if row.state == Inbound.ACCEPTED and row.case != world.case:
        return NEW_REPORT
    if row.state == Inbound.ACCEPTED:
        message = Message.objects.filter(case=world.case, mail__inbound=row).get()
        assert OutgoingMessage.objects.filter(case_message=message).exists()
        if message.author == world.people[persona]:
            return POSTED
        assert message.author == world.case.reporter
        return AS_REPORTER
    assert row.state == Inbound.HELD, row.state
    return HELD


@pytest.mark.parametrize(("persona", "way"), sorted(EXPECT))
def test_mail_into_a_case(world, persona, way):
    before = Message.objects.filter(case=world.case).count()
    row = _send(world, persona, way)
    outcome = _outcome(world, row, persona)
    assert outcome == EXPECT[(persona, way)], getattr(row, "reasons", "refused at RCPT")
    if outcome == NEW_REPORT:
        assert Message.objects.filter(case=world.case).count() == before
    if outcome in (HELD, DISCARDED):
        # Nothing of it reached the case's thread, nor anyone's inbox (what a
        # way sent before it may have).
        assert not Message.objects.filter(case=world.case, mail__inbound=row).exists()
        assert not OutgoingMessage.objects.filter(case_message__mail__inbound=row).exists()
        if way not in ("replayed", "sent_twice"):
            assert Message.objects.filter(case=world.case).count() == before


def render_matrix() -> str:
    """The matrix as a Markdown table, for docs/security.md."""
    head = "| way of sending | " + " | ".join(PERSONAS) + " |"
    rule = "|---|" + "---|" * len(PERSONAS)
    rows = [
        f"| {way}: {what} | " + " | ".join(EXPECT[(p, way)] for p in PERSONAS) + " |"
        for way, what in WAYS.items()
    ]
    return "\n".join([head, rule, *rows])


def test_the_security_page_shows_this_matrix():
    page = (Path(__file__).parents[3] / "docs" / "security.md").read_text()
    shown = re.search(r"<!-- mail matrix -->\n(.*?)\n<!-- end -->", page, re.DOTALL)
    assert shown, "docs/security.md holds the mail matrix between its markers"
    assert shown.group(1) == render_matrix(), "regenerate it with render_matrix()"
