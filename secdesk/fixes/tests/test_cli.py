"""`secdesk repo …` and `secdesk fix …` run as people and scripts run them: the
command's `main(argv)`, on the test database, against a real repository."""

from secdesk.testing import ALICE, BOB

CVSS = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"


def configure(team, released):
    team.ok("repo", "add", "libvirt", "libvirt", "--url", str(released.path), who=ALICE)
    for pattern in ("master", "v1.*-maint"):
        team.ok("repo", "branch", "libvirt", "libvirt", pattern, who=ALICE)


def refused_in_one_line(result, text):
    assert result.code == 2, result
    assert result.out == ""
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert text in result.err


def test_repositories_are_configured_listed_and_fetched(team, released):
    configure(team, released)
    [listed] = team.json("repo", "list", "libvirt", who=BOB)
    assert listed["branches"] == ["master", "v1.*-maint"]
    assert listed["fetched_at"] is None
    fetched = team("--json", "repo", "fetch", "libvirt", who=BOB)
    assert fetched.code == 0, fetched.err
    assert [(r["repository"], r["fetched"]) for r in fetched.data] == [("libvirt", True)]
    assert "fetching libvirt/libvirt (1/1)" in fetched.err
    text = team.ok("repo", "list", "libvirt", who=BOB).out
    assert "maintained: master v1.*-maint" in text
    assert "fetched never" not in text


def test_repository_configuration_refusals_are_one_line_with_exit_2(team, released):
    configure(team, released)
    refused_in_one_line(
        team("repo", "add", "libvirt", "other", "--url", "/srv/x.git", "--tags", "^v(", who=ALICE),
        "is not a regular expression",
    )
    refused_in_one_line(
        team("repo", "add", "libvirt", "other", "--url", "/srv/x.git", who=BOB),
        "needs the admin role",
    )
    refused_in_one_line(
        team("repo", "branch", "libvirt", "libvirt", "stable", "--remove", who=ALICE),
        "'stable' is not a maintained branch of libvirt/libvirt",
    )
    refused_in_one_line(team("repo", "fetch", "libvirt", "nope", who=BOB), "no repository 'nope'")


def test_a_fetch_that_fails_exits_1_and_says_which(team, released, tmp_path):
    team.ok("repo", "add", "libvirt", "gone", "--url", str(tmp_path / "nothing"), who=ALICE)
    result = team("repo", "fetch", "libvirt", who=BOB)
    assert result.code == 1
    assert result.out.startswith("gone: git clone failed")


def triage_and_fix_on_master(team, released):
    """Case #1 triaged, its CVE assigned, the commit that brought the bug in
    (one outside the repository refused) and the fix on master recorded."""
    configure(team, released)
    team.ok(
        "case",
        "triage",
        "1",
        "--security-issue",
        "--reasoning",
        "overflow",
        "--cvss3",
        CVSS,
        who=ALICE,
    )
    team.ok("cve", "assign", "1", "CVE-2026-1001", who=BOB)
    recorded = team.json("fix", "introduced", "1", "--commit", released["intro_a"][:8], who=BOB)
    assert recorded["commit"] == released["intro_a"]
    refused_in_one_line(
        team("fix", "introduced", "1", "--commit", "0123456789ab", who=BOB),
        "commit 0123456789ab is not in libvirt/libvirt",
    )
    team.ok("fix", "record", "1", "--branch", "master", "--commit", released["fix_a"], who=BOB)


def test_a_case_is_verified_and_its_releases_computed_from_git(team, released):
    triage_and_fix_on_master(team, released)

    unverified = team("fix", "verify", "1", who=BOB)
    assert unverified.code == 1
    assert sorted(unverified.out.splitlines()) == [
        "v1.0-maint: no fix recorded in libvirt/libvirt, and not marked not affected",
        "v1.1-maint: no fix recorded in libvirt/libvirt, and not marked not affected",
    ]

    team.ok(
        "fix", "record", "1", "--branch", "v1.1-maint", "--commit", released["backport_a"], who=BOB
    )
    refused_in_one_line(
        team("fix", "not-affected", "1", "--branch", "v2.0-maint", "--reason", "r", who=BOB),
        "'v2.0-maint' is not a maintained branch of libvirt",
    )
    team.ok(
        "fix",
        "not-affected",
        "1",
        "--branch",
        "v1.0-maint",
        "--reason",
        "the parser came in 1.1",
        who=BOB,
    )
    verified = team("--json", "fix", "verify", "1", who=BOB)
    assert verified.code == 0, verified.out
    assert verified.data == {"case": "libvirt#1", "problems": []}

    [releases] = team.json("fix", "affected", "1", who=BOB)
    assert releases == {
        "repository": "libvirt",
        "id": "libvirt#1",
        "affected": ["1.1.0", "1.1.1"],
        "first_affected": "1.1.0",
        "last_affected": "1.1.1",
        "fixed_in": ["1.1.2", "1.2.0"],
    }
    assert "fixed in: 1.1.2 1.2.0" in team.ok("fix", "affected", "1", who=BOB).out

    log = team.json("audit", "log", "--case", "1", who=ALICE)
    assert [r["event"] for r in log][-4:] == [
        "introducing commit recorded",
        "fix recorded",
        "fix recorded",
        "branch marked not affected",
    ]
