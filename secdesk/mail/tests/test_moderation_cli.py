"""`secdesk moderation` with a moderator a restricted case leaves out: held mail
into the case is not listed, not shown and not decided by them, and each refusal
is the one for an id that was never used (issue 14, finding 5)."""

import smtplib
import time

from secdesk.mail.tests.conftest import read
from secdesk.testing import ALICE, BOB

MONA = "mona@gentoo.example"
MISSING = 999999
REPORT = (
    "From: finder@research.example\r\nTo: security@libvirt.example\r\n"
    "Subject: ACL bypass in virDomainMigratePerform3\r\n"
    "Message-ID: <acl.{n}@research.example>\r\n\r\n"
    "Steps to reproduce: migrate with a read-only connection.\r\n"
)


def _held(cli, timeout=60) -> list[tuple]:
    deadline = time.monotonic() + timeout
    while True:
        rows = read(cli, "select id, case_id from mail_inboundmessage where state = 'held'")
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def test_a_moderator_left_out_of_a_restricted_case_neither_sees_nor_decides_its_held_mail(desk):
    cli, daemon = desk
    cli.ok("member", "add", "libvirt", MONA, "--role", "moderator", who=ALICE)
    cli.ok("member", "accept-policy", "libvirt", who=MONA)
    with smtplib.SMTP("127.0.0.1", daemon.port) as smtp:
        smtp.sendmail(
            "finder@research.example",
            ["security@libvirt.example"],
            REPORT.format(n=time.monotonic_ns()),
        )
    [(held, case)] = _held(cli)
    cli.ok("case", "restrict", str(case), BOB, who=ALICE)

    assert cli.json("moderation", "list", who=MONA) == []
    for action in ("show", "approve", "spam"):
        on_hidden = cli("moderation", action, str(held), who=MONA)
        on_missing = cli("moderation", action, str(MISSING), who=MONA)
        assert on_hidden.code == on_missing.code == 2, action
        assert on_hidden.err.replace(f"#{held}", "#N") == on_missing.err.replace(
            f"#{MISSING}", "#N"
        )
    assert (held, "held") in read(cli, "select id, state from mail_inboundmessage")
    assert [row["id"] for row in cli.json("moderation", "list", who=ALICE)] == [held]
