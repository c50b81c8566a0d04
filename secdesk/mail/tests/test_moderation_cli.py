"""`secdesk moderation` with a moderator a restricted case leaves out: held mail
into the case is not listed, not shown and not decided by them, and each refusal
is the one for an id that was never used (issue 14, finding 5)."""

from secdesk.mail.models import InboundMessage
from secdesk.mail.tests.conftest import deliver
from secdesk.testing import ALICE, BOB

MONA = "mona@gentoo.example"
MISSING = 999999
REPORT = (
    "From: finder@research.example\r\nTo: security@libvirt.example\r\n"
    "Subject: ACL bypass in virDomainMigratePerform3\r\n"
    "Message-ID: <acl.1@research.example>\r\n\r\n"
    "Steps to reproduce: migrate with a read-only connection.\r\n"
)


def _held() -> tuple[int, str]:
    """A report as the intake stores and holds it: the held mail's id and its case."""
    row = deliver(REPORT.encode())
    assert row.state == "held"
    return row.pk, str(row.case.number)


def test_a_moderator_left_out_of_a_restricted_case_neither_sees_nor_decides_its_held_mail(cli):
    cli.ok("member", "add", "libvirt", MONA, "--role", "moderator", who=ALICE)
    cli.ok("member", "accept-policy", "libvirt", who=MONA)
    held, case = _held()
    cli.ok("case", "restrict", str(case), BOB, who=ALICE)

    assert cli.json("moderation", "list", who=MONA) == []
    for action in ("show", "approve", "spam"):
        on_hidden = cli("moderation", action, str(held), who=MONA)
        on_missing = cli("moderation", action, str(MISSING), who=MONA)
        assert on_hidden.code == on_missing.code == 2, action
        assert on_hidden.err.replace(f"#{held}", "#N") == on_missing.err.replace(
            f"#{MISSING}", "#N"
        )
    assert InboundMessage.objects.get(pk=held).state == "held"
    assert [row["id"] for row in cli.json("moderation", "list", who=ALICE)] == [held]


def test_held_reports_show_their_reasons_in_words_and_approval_names_the_case(cli):
    held, case = _held()
    cli.env["COLUMNS"] = "250"  # the table's reason on one line
    for shown in (
        cli.ok("moderation", "list", who=ALICE).out,
        cli.ok("moderation", "show", str(held), who=ALICE).out,
    ):
        assert "the sender is not an authenticated member" in shown
        assert "not_a_member" not in shown
    assert cli.json("moderation", "show", str(held), who=ALICE)["reasons"][0]["rule"] == (
        "not_a_member"
    )
    approved = cli.ok("moderation", "approve", str(held), who=ALICE).out
    assert approved == f"libvirt#{case} (mail #{held}): approved; the team has it\n"
