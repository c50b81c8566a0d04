"""`secdesk case …`, `secdesk cve …`, `secdesk fix …`: working a case."""

from secdesk.cli.common import acting, case_arg, read_text, visible_case
from secdesk.cli.output import table


def register(commands):
    case = commands.add_parser("case", help="receive reports and work cases")
    sub = case.add_subparsers(dest="action", metavar="ACTION", required=True)

    p = sub.add_parser("receive", help="file a report received outside the security address")
    p.add_argument("project", help="the project's slug")
    p.add_argument(
        "--from", dest="reporter", required=True, metavar="EMAIL", help="the reporter's address"
    )
    p.add_argument("--name", default="", help="the reporter's name")
    p.add_argument("--subject", required=True, help="the report's subject")
    p.add_argument("--body", required=True, help="the report text, - for stdin, @FILE for a file")
    p.add_argument("--public", action="store_true", help="already public when reported (zero-day)")
    p.set_defaults(handler=receive)

    p = sub.add_parser("list", help="the cases you may see")
    p.add_argument("--project", help="only this project's cases")
    p.add_argument("--state", help="only cases in this state")
    p.set_defaults(handler=list_cases)

    p = sub.add_parser("show", help="everything about a case")
    case_arg(p)
    p.set_defaults(handler=show)

    for name, needs_reason, text in (
        ("hold", False, "hold a received report for moderation"),
        ("validate", False, "the report is in scope: a case for the team"),
        ("invalidate", True, "the report is not valid"),
        ("accept", False, "the team takes the case on"),
        ("defer", True, "put the case aside"),
        ("close", True, "close the case"),
    ):
        p = sub.add_parser(name, help=text)
        case_arg(p)
        p.add_argument(
            "--reason", required=needs_reason, default="", help="why: recorded in the audit trail"
        )
        p.set_defaults(handler=move, step=name)

    p = sub.add_parser("duplicate", help="defer a case as a duplicate of another")
    case_arg(p)
    p.add_argument(
        "--of", type=int, required=True, metavar="CASE", help="the case this one duplicates"
    )
    p.set_defaults(handler=duplicate)

    p = sub.add_parser("triage", help="record the triage decision and severity")
    case_arg(p)
    verdict = p.add_mutually_exclusive_group(required=True)
    verdict.add_argument(
        "--security-issue", dest="security", action="store_true", help="it is a security issue"
    )
    verdict.add_argument(
        "--not-security-issue",
        dest="security",
        action="store_false",
        help="it is not a security issue",
    )
    p.add_argument("--reasoning", required=True, help="why; - for stdin, @FILE for a file")
    p.add_argument("--cvss3", default="", metavar="VECTOR", help="a CVSS:3.1/… vector")
    p.add_argument("--cvss4", default="", metavar="VECTOR", help="a CVSS:4.0/… vector")
    p.set_defaults(handler=triage)

    p = sub.add_parser("fact", help="set a one-way case fact")
    case_arg(p)
    p.add_argument(
        "fact",
        help="vendor-aware, fix-ready, fix-published, public, exploit-public or attacks-observed",
    )
    p.set_defaults(handler=fact)

    p = sub.add_parser("fix-faulty", help="a proposed fix turned out faulty")
    case_arg(p)
    p.add_argument("--reason", required=True, help="what is wrong with the fix")
    p.set_defaults(handler=fix_faulty)

    p = sub.add_parser("restrict", help="only these members see the case (admins)")
    case_arg(p)
    p.add_argument("members", nargs="*", metavar="EMAIL", help="none: lift the restriction")
    p.set_defaults(handler=restrict)

    p = sub.add_parser("publish", help="make the case public")
    case_arg(p)
    p.add_argument(
        "--end-embargo", action="store_true", help="end an embargo in force now, by team decision"
    )
    p.add_argument(
        "--override",
        default="",
        metavar="REASON",
        help="(admins) publish despite missing fixes, for this reason",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="publish even though the site address (SECDESK_SITE_URL) is this machine's own",
    )
    p.set_defaults(handler=publish)

    cve = commands.add_parser("cve", help="CVE ids")
    sub = cve.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("assign", help="assign a CVE id to a case")
    case_arg(p)
    p.add_argument("cve_id", metavar="CVE-ID", help="the id, e.g. CVE-2026-1234")
    p.set_defaults(handler=assign_cve)

    fix = commands.add_parser("fix", help="fix commits")
    sub = fix.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("record", help="record a fix commit on a branch")
    case_arg(p)
    p.add_argument("--branch", required=True, help="the maintained branch the fix is on")
    p.add_argument("--commit", required=True, help="the fix commit")
    p.add_argument("--repo", default="", help="the project's repository name")
    p.set_defaults(handler=record_fix)


def _done(out, case, text):
    from secdesk.cases.serialize import case_summary

    out.emit(case_summary(case), f"case #{case.pk}: {text}")


def receive(args, out):
    from secdesk.cases.actions.reports import do_receive_report
    from secdesk.teams.actions import project_by_slug

    person = acting(args)
    case = do_receive_report(
        project_by_slug(args.project),
        reporter_email=args.reporter,
        reporter_name=args.name,
        subject=args.subject,
        body=read_text(args.body),
        public=args.public,
        acting=person,
    )
    _done(out, case, f"received ({case.reference})")


def list_cases(args, out):
    from secdesk.cases.serialize import case_summary
    from secdesk.teams.access import visible_cases

    person = acting(args)
    cases = visible_cases(person).select_related("project", "embargo", "publication")
    if args.project:
        cases = cases.filter(project__slug=args.project)
    if args.state:
        cases = cases.filter(state=args.state)
    rows = [case_summary(c) for c in cases]

    def show(console):
        if not rows:
            console.print("no cases")
            return
        console.print(
            table(
                "case",
                "project",
                "state",
                "embargo",
                "ends (UTC)",
                "title",
                rows=(
                    (
                        r["id"],
                        r["project"],
                        r["state"],
                        r["embargo_state"],
                        f"{r['embargo_end']:%Y-%m-%d %H:%M}" if r["embargo_end"] else "",
                        r["title"],
                    )
                    for r in rows
                ),
            )
        )

    out.emit(rows, show)


def show(args, out):
    from secdesk.audit.log import record_view
    from secdesk.cases.report_machine import REPORT
    from secdesk.cases.serialize import case_detail

    person = acting(args)
    case = visible_case(args, person)
    record_view(person, case, via="cli")
    data = case_detail(case, person)

    def text(console):
        console.print(f"case #{data['id']} {data['reference']}: {data['title']}", markup=False)
        following = ", ".join(REPORT.command(event) for event in data["allowed_events"])
        console.print(f"  state {data['state']} (next: {following or 'none'})")
        e = data["embargo"]
        if e["state"] == "exited":
            status = f"exited ({e['exit_reason']})"
        elif e["end"]:
            status = f"{e['state']} until {e['end']:%Y-%m-%d %H:%M} UTC"
        else:
            status = e["state"]
        console.print(f"  embargo {status}, restarts {e['restarts']}", markup=False)
        if data["cves"]:
            console.print("  CVE " + ", ".join(c["id"] for c in data["cves"]))
        for f in data["fixes"]:
            console.print(f"  fix {f['commit'][:12]} on {f['branch']}", markup=False)
        console.print("  history:")
        for h in data["history"]:
            console.print(
                f"    {h['seq']:>5} {h['at']:%Y-%m-%d %H:%M:%S} {h['actor']}: {h['event']}",
                markup=False,
            )

    out.emit(data, text)


def move(args, out):
    from secdesk.cases.actions.reports import REPORT_MOVES

    person = acting(args)
    case = visible_case(args, person)
    case = REPORT_MOVES[args.step].run(case, acting=person, reason=args.reason)
    _done(out, case, f"now {case.state}")


def duplicate(args, out):
    from secdesk.cases.actions.reports import do_mark_duplicate

    person = acting(args)
    case = do_mark_duplicate(visible_case(args, person), of=args.of, acting=person)
    _done(out, case, f"deferred as a duplicate of #{args.of}")


def triage(args, out):
    from secdesk.cases.actions.triage import do_record_triage

    person = acting(args)
    case = do_record_triage(
        visible_case(args, person),
        security_issue=args.security,
        reasoning=read_text(args.reasoning),
        cvss3=args.cvss3,
        cvss4=args.cvss4,
        acting=person,
    )
    score = case.cvss3_score or case.cvss4_score
    verdict = "a security issue" if case.is_security_issue else "not a security issue"
    _done(out, case, f"triaged: {verdict}" + (f", CVSS {score}" if score is not None else ""))


def fact(args, out):
    from secdesk.cases.actions.triage import do_set_fact

    person = acting(args)
    case = do_set_fact(visible_case(args, person), args.fact, acting=person)
    _done(out, case, f"{args.fact} set")


def fix_faulty(args, out):
    from secdesk.cases.actions.triage import do_fix_found_faulty

    person = acting(args)
    case = do_fix_found_faulty(visible_case(args, person), reason=args.reason, acting=person)
    _done(out, case, "fix found faulty; the embargo clock may now be restarted")


def publish(args, out):
    from secdesk.advisories.actions import do_publish_case

    person = acting(args)
    case = do_publish_case(
        visible_case(args, person),
        acting=person,
        end_embargo=args.end_embargo,
        override_reason=args.override,
        force_site=args.force,
    )
    _done(out, case, f"published at {case.published_at:%Y-%m-%d %H:%M} UTC")


def assign_cve(args, out):
    from secdesk.advisories.actions import do_assign_cve

    person = acting(args)
    cve = do_assign_cve(visible_case(args, person), cve_id=args.cve_id, acting=person)
    out.emit(
        {"case": cve.case_id, "cve": cve.cve_id, "state": cve.state},
        f"case #{cve.case_id}: {cve.cve_id} assigned",
    )


def record_fix(args, out):
    from secdesk.fixes.actions import do_record_fix

    person = acting(args)
    fix = do_record_fix(
        visible_case(args, person),
        branch=args.branch,
        commit=args.commit,
        repository=args.repo,
        acting=person,
    )
    out.emit(
        {"case": fix.case_id, "branch": fix.branch, "commit": fix.commit},
        f"case #{fix.case_id}: fix {fix.commit[:12]} on {fix.branch} recorded",
    )


def restrict(args, out):
    from secdesk.cases.actions.restriction import do_restrict_case

    person = acting(args)
    case = do_restrict_case(visible_case(args, person), emails=args.members, acting=person)
    members = sorted(p.email for p in case.restricted_to.all())
    out.emit(
        {"case": case.pk, "restricted_to": members},
        f"case #{case.pk}: " + (f"only {', '.join(members)}" if members else "the whole team"),
    )
