"""A whole case through the real command (acceptance B of the foundation issue)."""

from secdesk.testing import ALICE, BOB, set_up_libvirt

CVSS = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"


def test_a_case_runs_from_report_to_publication_and_every_step_is_audited(cli):
    set_up_libvirt(cli)
    case = _receive_and_accept(cli)
    _triage_and_embargo(cli, case)
    _fix_and_publish(cli, case)
    shown = cli.json("case", "show", str(case), who=BOB)
    _check_shown(shown)
    steps = [(h["actor"], h["event"]) for h in shown["history"]]
    assert steps == [
        (ALICE, "report received"),
        (ALICE, "report validated"),
        (ALICE, "report accepted"),
        (ALICE, "triage recorded"),
        (ALICE, "embargo proposed"),
        (BOB, "embargo accepted"),
        (ALICE, "embargo proposed"),
        (BOB, "embargo agreed"),
        (BOB, "embargo accepted"),
        (BOB, "fix found faulty"),
        (ALICE, "embargo restarted"),
        (BOB, "CVE assigned"),
        (ALICE, "fix recorded"),
        # Publication runs as resumable steps, each audited.
        (ALICE, "publication started"),
        (ALICE, "announcement queued"),
        (ALICE, "advisory published on the web"),
        (ALICE, "case published"),
    ]

    log = cli.json("audit", "log", "--case", str(case), who=ALICE)
    assert [(r["actor"], r["event"]) for r in log] == steps
    assert [r["seq"] for r in log] == sorted(r["seq"] for r in log)
    assert cli.json("audit", "verify")["ok"] is True


def _receive_and_accept(cli) -> int:
    case = cli.json(
        "case",
        "receive",
        "libvirt",
        "--from",
        "finder@research.example",
        "--subject",
        "ACL bypass in migration API",
        "--body",
        "-",
        who=ALICE,
        stdin="virDomainMigratePerform3 skips the migrate ACL check.\n",
    )["number"]
    for step in ("validate", "accept"):
        assert cli.json("case", step, str(case), who=ALICE)["state"] in ("valid", "accepted")
    return case


def _triage_and_embargo(cli, case):
    cli.ok(
        "case",
        "triage",
        str(case),
        "--security-issue",
        "--reasoning",
        "crosses the ACL boundary",
        "--cvss3",
        CVSS,
        who=ALICE,
    )
    proposed = cli.json("embargo", "propose", str(case), "--days", "10", who=ALICE)
    assert proposed["state"] == "proposed"
    assert cli.json("embargo", "accept", str(case), who=BOB)["state"] == "active"
    cli.ok(
        "embargo",
        "propose",
        str(case),
        "--days",
        "25",
        "--justification",
        "two vendors need a release cycle",
        who=ALICE,
    )
    cli.ok("embargo", "agree", str(case), who=BOB)
    extended = cli.json("embargo", "accept", str(case), who=BOB)
    assert extended["state"] == "active"
    assert extended["proposals"][-1]["extension"] is True


def _fix_and_publish(cli, case):
    cli.ok("case", "fix-faulty", str(case), "--reason", "the fix breaks live migration", who=BOB)
    restarted = cli.json("embargo", "restart", str(case), who=ALICE)
    assert restarted["restarts"] == 1
    cli.ok("cve", "assign", str(case), "CVE-2026-12345", who=BOB)
    cli.ok(
        "fix",
        "record",
        str(case),
        "--branch",
        "master",
        "--commit",
        "0123456789abcdef0123456789abcdef01234567",
        who=ALICE,
    )
    # The test's site address is this machine's: publishing there must be forced.
    published = cli.json("case", "publish", str(case), "--end-embargo", "--force", who=ALICE)
    assert published["published_at"]


def _check_shown(shown):
    assert shown["triage"]["cvss3"] == {"vector": CVSS, "score": "8.8"}
    assert shown["embargo"]["state"] == "exited"
    assert shown["embargo"]["exit_reason"] == "decision: published"
    assert [e["kind"] for e in shown["embargo"]["events"]] == [
        "proposed",
        "accepted",
        "proposed",
        "agreed",
        "accepted",
        "restarted",
        "exited",
    ]
    assert shown["cves"] == [{"id": "CVE-2026-12345", "state": "published", "allocated_by": BOB}]
    assert shown["facts"]["public"] and shown["facts"]["fix-published"]


def test_text_output_reads_as_a_sentence(team):
    result = team.ok(
        "case",
        "receive",
        "libvirt",
        "--from",
        "f@x.example",
        "--subject",
        "s",
        "--body",
        "b",
        who=ALICE,
    )
    assert result.out.strip() == "case libvirt#2: received"
