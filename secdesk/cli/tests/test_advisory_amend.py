"""`secdesk advisory amend`: a published advisory's next revision, with a reason."""

from secdesk.testing import ALICE, BOB

CVSS = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"


def _refused(result, phrase):
    assert result.code == 2, result
    assert phrase in result.err
    assert "Traceback" not in result.err


def test_a_published_advisory_is_amended_with_a_reason(team):
    _refused(
        team("advisory", "amend", "1", "--reason", "A correction.", who=ALICE),
        "is not published; publish it first",
    )
    team.ok(
        "case", "triage", "1", "--security-issue", "--reasoning", "x", "--cvss3", CVSS, who=ALICE
    )
    team.ok("cve", "assign", "1", "CVE-2026-12345", who=BOB)
    team.ok("fix", "record", "1", "--branch", "master", "--commit", "0123456789abcdef", who=ALICE)
    team.ok("advisory", "edit", "1", "--title", "Crash in RPC dispatch", who=ALICE)
    # The test's site address is this machine's: publishing there must be forced.
    team.ok("case", "publish", "1", "--force", who=ALICE)
    _refused(
        team("advisory", "amend", "1", "--reason", " ", who=ALICE),
        "say why the advisory is amended",
    )

    team.ok("advisory", "edit", "1", "--credits", "Sam Second", who=ALICE)
    amended = team.json("advisory", "amend", "1", "--reason", "Credit Sam Second.", who=BOB)
    assert amended["revision"] == 2
    assert amended["reason"] == "Credit Sam Second."
    assert amended["advisory"].startswith("LIBVIRT-SA-")
    shown = team.json("advisory", "show", "1", who=ALICE)
    assert shown["facts"]["credits"] == [{"name": "Sam Second", "role": "finder", "contact": ""}]
    assert [r["number"] for r in shown["facts"]["revisions"]] == [1, 2]
    events = [r["event"] for r in team.json("audit", "log", "--case", "1", who=ALICE)]
    assert "published advisory amended" in events
