"""Text that came by mail is shown in the terminal as it is: its escape
sequences written out, its rich markup printed, never acted on."""

import json
import smtplib
import time

from secdesk.mail.tests.conftest import read
from secdesk.testing import ALICE

HIDDEN_LINK = "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\"
MARKUP = "[link=http://evil]x[/link] [conceal]secret[/conceal]"
SUBJECT = f"{HIDDEN_LINK} {MARKUP}"
# The local part of an address may be quoted, and hold an escape sequence.
SENDER = '"\x1b[8mhidden"@evil.example'


def _held_from_a_hostile_sender(cli, daemon):
    raw = (
        f"From: {SENDER}\r\nTo: security@libvirt.example\r\nSubject: {SUBJECT}\r\n"
        "Message-ID: <hostile.1@evil.example>\r\n\r\nSee the subject.\r\n"
    )
    with smtplib.SMTP("127.0.0.1", daemon.port) as smtp:
        smtp.sendmail("bounce@evil.example", ["security@libvirt.example"], raw.encode())
    deadline = time.monotonic() + 60
    while not read(cli, "select id from mail_inboundmessage where state = 'held'"):
        assert time.monotonic() < deadline, "the daemon did not hold the mail"
        time.sleep(0.2)


def _shown_escaped(output: str) -> None:
    assert "\x1b" not in output
    assert "\\x1b]8;;http://evil\\x1b\\click\\x1b]8;;\\x1b\\" in output
    assert MARKUP in output


def test_a_hostile_subject_is_shown_escaped_by_every_listing(desk):
    cli, daemon = desk
    cli.env["COLUMNS"] = "300"  # wide enough that no cell is cut short
    _held_from_a_hostile_sender(cli, daemon)
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


def test_json_output_keeps_the_text_exact(desk):
    cli, daemon = desk
    _held_from_a_hostile_sender(cli, daemon)
    listing = cli.ok("--json", "moderation", "list", who=ALICE).out
    [held] = json.loads(listing)
    assert held["subject"] == SUBJECT and held["sender"] == SENDER
    assert "\x1b" not in listing  # JSON writes it as \u001b
    [case] = cli.json("case", "list", who=ALICE)
    assert case["title"] == SUBJECT
    [ack] = cli.json("outbox", "list", who=ALICE)
    assert ack["to"] == [SENDER]
