"""The join flow end to end through the real command (issue 4, acceptance A)."""

import json
from itertools import pairwise

ROOT, ALICE, BOB = "root@example.org", "alice@redhat.example", "bob@suse.example"
ERIN, FRANK = "erin@ubuntu.example", "frank@bsd.example"


def test_an_applicant_joins_by_cli_and_another_declines(team):
    team.ok(
        "member",
        "request",
        "libvirt",
        ERIN,
        "--org",
        "Ubuntu Security",
        "--statement",
        "I ship the package; Bob knows me",
    )
    assert team.json("member", "requests", "libvirt", who=BOB)[0]["email"] == ERIN
    refused = team("member", "approve", "libvirt", ERIN, who=ALICE)
    assert refused.code == 2 and "the policy needs 1" in refused.err
    team.ok("member", "vouch", "libvirt", ERIN, who=BOB)
    approved = team.json("member", "approve", "libvirt", ERIN, who=ALICE)
    assert approved["consent"] == "invited"
    assert team("case", "show", "1", who=ERIN).code == 2, "nothing before accepting the policy"
    accepted = team.json("member", "accept-policy", "libvirt", who=ERIN)
    assert (accepted["consent"], accepted["policy_version"]) == ("signatory", 1)
    assert team.json("case", "show", "1", who=ERIN)["number"] == 1

    team.ok("member", "request", "libvirt", FRANK, "--org", "FreeBSD ports", "--statement", "x")
    team.ok("member", "vouch", "libvirt", FRANK, who=BOB)
    team.ok("member", "approve", "libvirt", FRANK, who=ALICE)
    declined = team.json("member", "decline-policy", "libvirt", who=FRANK)
    assert declined["consent"] == "declined"
    assert team("case", "show", "1", who=FRANK).code == 2

    members = {m["email"]: m for m in team.json("member", "list", "libvirt", who=ALICE)}
    assert members[ERIN]["consent"] == "signatory"
    assert members[FRANK]["consent"] == "declined"


def test_a_policy_change_lapses_consent_until_accepted_again(team):
    team.ok("policy", "set", "libvirt", "max_embargo_days=21", who=ALICE)
    lapsed = team("case", "show", "1", who=BOB)
    assert lapsed.code == 2 and "no case #1" in lapsed.err
    assert team.json("member", "accept-policy", "libvirt", who=BOB)["policy_version"] == 2
    assert team.json("case", "show", "1", who=BOB)["number"] == 1
    refused = team("embargo", "propose", "1", "--days", "22", "--justification", "x", who=BOB)
    assert "maximum of 21 days" in refused.err


def test_audit_export_writes_json_lines_with_the_chain(team, tmp_path):
    target = tmp_path / "trail.jsonl"
    team.ok("audit", "export", "--output", str(target), who=ROOT)
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(b["prev_hash"] == a["hash"] for a, b in pairwise(rows))
