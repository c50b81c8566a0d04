"""The audit trail and the outbox through the CLI show a person the records and
mail of the cases they may see, and refuse a hidden case as they refuse a
missing one. Case #1 is restricted to bob (and alice, who restricts it); dave,
an admin, and root, the project's first admin, are left out."""

import json

import pytest

from secdesk.testing import ALICE, BOB, ROOT

DAVE = "dave@gentoo.example"


@pytest.fixture
def restricted(team):
    team.ok("member", "add", "libvirt", DAVE, "--role", "admin", who=ROOT)
    team.ok("member", "accept-policy", "libvirt", who=DAVE)
    team.ok("case", "restrict", "1", BOB, who=ALICE)
    return team


def _refusals_read_alike(cli, *args, who):
    hidden, missing = cli(*args, "1", who=who), cli(*args, "99", who=who)
    assert hidden.code == missing.code == 2
    assert hidden.err == missing.err.replace("#99", "#1")
    assert hidden.out == missing.out == ""


def test_an_admin_left_out_of_a_restricted_case_reads_none_of_its_audit_records(restricted):
    for who in (DAVE, ROOT):
        for log in (
            restricted.json("audit", "log", who=who),
            restricted.json("audit", "log", "--project", "libvirt", who=who),
        ):
            assert "project created" in [r["event"] for r in log]
            assert [r for r in log if r["case"] == 1] == []
        exported = [
            json.loads(line) for line in restricted.ok("audit", "export", who=who).out.splitlines()
        ]
        assert exported and [r for r in exported if r["case"] == 1] == []
        assert "finder@research.example" not in restricted.ok("audit", "export", who=who).out
        _refusals_read_alike(restricted, "audit", "log", "--case", who=who)
    assert [r for r in restricted.json("audit", "log", who=ALICE) if r["case"] == 1]


def test_a_moderator_left_out_of_a_restricted_case_lists_none_of_its_mail(restricted):
    restricted.ok("case", "reply", "1", "--body", "The fix is commit 0123abcd.", who=ALICE)
    assert [m for m in restricted.json("outbox", "list", who=ALICE) if m["case"] == "libvirt#1"]
    listed = restricted.json("outbox", "list", who=DAVE)
    assert [m for m in listed if m["case"] == "libvirt#1"] == []
    _refusals_read_alike(restricted, "outbox", "list", "--case", who=DAVE)
