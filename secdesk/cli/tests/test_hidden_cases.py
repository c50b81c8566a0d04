"""On the command line, a case a member may not see is one that does not exist:
the same exit status and the same line for each; its CVE id is not theirs to
release, and the pool does not name it to them (issue 14, findings 8 and 9)."""

import pytest

from secdesk.testing import ALICE, BOB

CAROL = "carol@debian.example"
CVE = "CVE-2026-4242"


@pytest.fixture
def hidden(team):
    """Case #1, triaged, with a CVE id, restricted to bob (and alice, who
    restricted it); carol, a member, is left out."""
    team.ok("member", "add", "libvirt", CAROL, "--role", "member", who=ALICE)
    team.ok("member", "accept-policy", "libvirt", who=CAROL)
    team.ok(
        "case",
        "triage",
        "1",
        "--security-issue",
        "--reasoning",
        "remote crash",
        "--cvss3",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        who=ALICE,
    )
    team.ok("cve", "assign", "1", CVE, who=ALICE)
    team.ok("case", "restrict", "1", BOB, who=ALICE)
    return team


def _same_refusal(on_hidden, on_missing, hidden_id, missing_id):
    assert on_hidden.code == on_missing.code == 2
    assert on_hidden.out == on_missing.out == ""
    hidden_line = on_hidden.err.replace(f"#{hidden_id}", "#N")
    assert hidden_line == on_missing.err.replace(f"#{missing_id}", "#N")


@pytest.mark.parametrize(
    "command",
    [
        ("case", "show"),
        ("case", "validate"),
        ("embargo", "propose", "--days", "5"),
        ("advisory", "show"),
    ],
)
def test_a_hidden_case_is_refused_as_a_missing_one(hidden, command):
    group, action, *rest = command
    on_hidden = hidden(group, action, "1", *rest, who=CAROL)
    on_missing = hidden(group, action, "99", *rest, who=CAROL)
    _same_refusal(on_hidden, on_missing, 1, 99)


def test_a_member_left_out_cannot_release_the_cases_cve_id(hidden):
    refused = hidden("cve", "release", CVE, who=CAROL)

    assert refused.code == 2
    assert "you may not see" in refused.err and "#1" not in refused.err
    [entry] = hidden.json("cve", "pool", "list", "libvirt", who=ALICE)
    assert (entry["state"], entry["case"]) == ("assigned", "libvirt#1")


def test_the_pool_names_an_assigned_ids_case_only_to_those_who_may_see_it(hidden):
    [theirs] = hidden.json("cve", "pool", "list", "libvirt", who=CAROL)
    text = hidden.ok("cve", "pool", "list", "libvirt", who=CAROL).out

    assert (theirs["cve_id"], theirs["state"], theirs["case"]) == (CVE, "assigned", None)
    assert "#1" not in text and "assigned" in text
    [admitted] = hidden.json("cve", "pool", "list", "libvirt", who=BOB)
    assert admitted["case"] == "libvirt#1"
