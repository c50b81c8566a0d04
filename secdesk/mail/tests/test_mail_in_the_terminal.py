"""Text that came by mail is shown in the terminal as it is: its escape
sequences written out, its rich markup printed, never acted on."""

import json

from secdesk.mail.tests.conftest import deliver
from secdesk.testing import ALICE

HIDDEN_LINK = "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\"
MARKUP = "[link=http://evil]x[/link] [conceal]secret[/conceal]"
SUBJECT = f"{HIDDEN_LINK} {MARKUP}"
# The local part of an address may be quoted, and hold an escape sequence.
SENDER = '"\x1b[8mhidden"@evil.example'


def _held_from_a_hostile_sender():
    raw = (
        f"From: {SENDER}\r\nTo: security@libvirt.example\r\nSubject: {SUBJECT}\r\n"
        "Message-ID: <hostile.1@evil.example>\r\n\r\nSee the subject.\r\n"
    )
    row = deliver(raw.encode(), mail_from="bounce@evil.example")
    assert row.state == "held", "the intake did not hold the mail"


def _shown_escaped(output: str) -> None:
    assert "\x1b" not in output
    assert "\\x1b]8;;http://evil\\x1b\\click\\x1b]8;;\\x1b\\" in output
    assert MARKUP in output


def test_a_hostile_subject_is_shown_escaped_by_every_listing(cli):
    cli.env["COLUMNS"] = "300"  # wide enough that no cell is cut short
    _held_from_a_hostile_sender()
    [held] = cli.json("moderation", "list", who=ALICE)
    assert held["subject"] == SUBJECT
    case = str(held["case"])

    for command in (
        ("moderation", "list"),
        ("moderation", "show", str(held["id"])),
        ("case", "list"),
        ("case", "show", case),
    ):
        _shown_escaped(cli.ok(*command, who=ALICE).out)

    outbox = cli.ok("outbox", "list", who=ALICE).out
    assert "\x1b" not in outbox
    assert '"\\x1b[8mhidden"@evil.example' in outbox


def test_json_output_keeps_the_text_exact(cli):
    _held_from_a_hostile_sender()
    listing = cli.ok("--json", "moderation", "list", who=ALICE).out
    [held] = json.loads(listing)
    assert held["subject"] == SUBJECT and held["sender"] == SENDER
    assert "\x1b" not in listing  # JSON writes it as \u001b
    [case] = cli.json("case", "list", who=ALICE)
    assert case["title"] == SUBJECT
    [ack] = cli.json("outbox", "list", who=ALICE)
    assert ack["to"] == [SENDER]
