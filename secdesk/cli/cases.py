"""`secdesk case …`, `secdesk cve …`, `secdesk fix …`: working a case."""

from secdesk.cli.common import acting, read_text, visible_case
from secdesk.cli.output import table


def _done(out, case, text):
    from secdesk.cases.serialize import case_summary

    out.emit(case_summary(case), f"case {case.reference}: {text}")


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
    _done(out, case, "received")


def list_cases(args, out):
    from secdesk.cases.access import visible_cases
    from secdesk.cases.serialize import case_summary

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
                        r["reference"],
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
    from secdesk.cases.report_machine import REPORT
    from secdesk.cases.serialize import case_detail
    from secdesk.cases.viewing import record_view

    person = acting(args)
    case = visible_case(args, person)
    record_view(person, case, via="cli")
    data = case_detail(case, person)

    def text(console):
        console.print(f"case {data['reference']}: {data['title']}", markup=False)
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
    _done(out, case, f"deferred as a duplicate of {case.duplicate_of.reference}")


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
        {"case": cve.case.reference, "cve": cve.cve_id, "state": cve.state},
        f"case {cve.case.reference}: {cve.cve_id} assigned",
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
        {"case": fix.case.reference, "branch": fix.branch, "commit": fix.commit},
        f"case {fix.case.reference}: fix {fix.commit[:12]} on {fix.branch} recorded",
    )


def restrict(args, out):
    from secdesk.cases.actions.restriction import do_restrict_case

    person = acting(args)
    case = do_restrict_case(visible_case(args, person), emails=args.members, acting=person)
    members = sorted(p.email for p in case.restricted_to.all())
    out.emit(
        {"case": case.reference, "restricted_to": members},
        f"case {case.reference}: "
        + (f"only {', '.join(members)}" if members else "the whole team"),
    )
