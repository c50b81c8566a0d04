"""`secdesk cve pool|reserve|release|reject|services`, `secdesk advisory …`,
`secdesk docs export`: CVE ids, the advisory, and the public security documents."""

from secdesk.cli.common import acting, case_arg, positive_int, read_text, visible_case

FORMATS = ("text", "html", "cve", "osv", "csaf")


def register(commands):
    cve = commands.choices.get("cve") or commands.add_parser("cve", help="CVE ids")
    sub = next(a for a in cve._actions if a.dest == "action")
    p = sub.add_parser("pool", help="the project's pool of reserved ids")
    pool = p.add_subparsers(dest="pool_action", metavar="ACTION", required=True)
    q = pool.add_parser("import", help="add ids you reserved (one per line in FILE, or -)")
    q.add_argument("project", help="the project's slug")
    q.add_argument(
        "ids", nargs="+", metavar="CVE-ID|@FILE|-", help="ids, or a file of them, or - for stdin"
    )
    q.set_defaults(handler=pool_import)
    q = pool.add_parser("list", help="the ids the project holds")
    q.add_argument("project", help="the project's slug")
    q.set_defaults(handler=pool_list)
    p = sub.add_parser("next", help="assign the next id of the pool to a case")
    case_arg(p)
    p.set_defaults(handler=assign_next)
    p = sub.add_parser("release", help="take an unused id off its case, back to the pool")
    p.add_argument("cve_id", metavar="CVE-ID", help="the id, e.g. CVE-2026-1234")
    p.set_defaults(handler=release)
    p = sub.add_parser("reject", help="reject an unused id of the pool (at CVE Services too)")
    p.add_argument("cve_id", metavar="CVE-ID", help="the id, e.g. CVE-2026-1234")
    p.add_argument("--reason", required=True, help="why: sent to CVE Services and recorded")
    p.set_defaults(handler=reject)
    p = sub.add_parser("reserve", help="reserve ids from CVE Services into the pool")
    p.add_argument("project", help="the project's slug")
    p.add_argument("--count", type=positive_int, default=1, help="how many ids (default: 1)")
    p.add_argument("--year", type=positive_int, help="the ids' year (default: this year)")
    p.set_defaults(handler=reserve)
    p = sub.add_parser("services", help="set the project's CVE Services account (admins)")
    p.add_argument("project", help="the project's slug")
    p.add_argument("--org", required=True, help="the CNA's short name")
    p.add_argument("--user", required=True, help="the CVE Services user name")
    p.add_argument("--api-key", required=True, help="@FILE or - (keeps it out of shell history)")
    p.add_argument("--url", default="", help="the API's URL (default: production)")
    p.set_defaults(handler=services)

    advisory = commands.add_parser("advisory", help="a case's advisory")
    sub = advisory.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("edit", help="write the advisory's text")
    case_arg(p)
    hints = {
        "cwe": "one or more, e.g. 'CWE-787, CWE-20'",
        "credits": "one per line, the role first unless finder ('reporter: Name <address>')",
        "references": "one URL per line, its type first unless a web page ('fix https://…')",
    }
    for field in ("title", "description", "impact", "cwe", "credits", "references"):
        hint = f"{hints[field]}; " if field in hints else ""
        p.add_argument(f"--{field}", help=f"{hint}text, - for stdin, @FILE for a file")
    p.set_defaults(handler=edit)
    p = sub.add_parser("amend", help="amend the published advisory (its next revision)")
    case_arg(p)
    p.add_argument("--reason", required=True, help="why: text, - for stdin, @FILE for a file")
    p.set_defaults(handler=amend)
    p = sub.add_parser("show", help="the advisory's facts and what is still missing")
    case_arg(p)
    p.set_defaults(handler=show)
    p = sub.add_parser("render", help="the advisory in one format")
    case_arg(p)
    p.add_argument(
        "--format", choices=FORMATS, default="text", help="the output format (default: text)"
    )
    p.set_defaults(handler=render)

    docs = commands.add_parser("docs", help="the public security documents")
    sub = docs.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("export", help="write every project's security page, section, security.txt")
    p.add_argument("directory", metavar="DIR", help="where to write them")
    p.set_defaults(handler=export_docs)


def _project(slug):
    from secdesk.teams.actions import project_by_slug

    return project_by_slug(slug)


def _ids(values) -> list[str]:
    ids = []
    for value in values:
        text = read_text(value) if value == "-" or value.startswith("@") else value
        ids += text.split()
    return ids


def pool_import(args, out):
    from secdesk.advisories.actions import do_import_cve_ids

    added = do_import_cve_ids(_project(args.project), _ids(args.ids), acting=acting(args))
    out.emit([c.cve_id for c in added], f"{len(added)} id(s) added to the pool of {args.project}")


def pool_list(args, out):
    from secdesk.teams.access import require_role, visible_case_ids

    person = acting(args)
    project = _project(args.project)
    require_role(person, project)
    ids = list(project.cve_ids.select_related("allocated_by"))
    # An assigned id names its case only to those who may see the case.
    shown = visible_case_ids(person, [c.case_id for c in ids])
    rows = [
        {
            "cve_id": c.cve_id,
            "state": c.state,
            "case": c.case_id if c.case_id in shown else None,
            "allocated_by": c.allocated_by.email if c.allocated_by else None,
        }
        for c in ids
    ]
    out.emit(
        rows,
        "\n".join(
            f"{r['cve_id']}\t{r['state']}\t{'#' + str(r['case']) if r['case'] else ''}"
            f"\t{r['allocated_by'] or ''}"
            for r in rows
        )
        or "the pool is empty",
    )


def assign_next(args, out):
    from secdesk.advisories.actions import do_assign_next_cve

    person = acting(args)
    cve = do_assign_next_cve(visible_case(args, person), acting=person)
    out.emit({"case": args.case, "cve_id": cve.cve_id}, f"case #{args.case}: {cve.cve_id}")


def release(args, out):
    from secdesk.advisories.actions import do_release_cve

    cve = do_release_cve(args.cve_id, acting=acting(args))
    out.emit({"cve_id": cve.cve_id, "state": cve.state}, f"{cve.cve_id} is back in the pool")


def reject(args, out):
    from secdesk.advisories.cve_services import do_reject_cve

    cve = do_reject_cve(args.cve_id, reason=args.reason, acting=acting(args))
    out.emit({"cve_id": cve.cve_id, "state": cve.state}, f"{cve.cve_id} is rejected")


def reserve(args, out):
    from secdesk.advisories.cve_services import do_reserve_cve_ids

    added = do_reserve_cve_ids(
        _project(args.project), count=args.count, year=args.year, acting=acting(args)
    )
    out.emit([c.cve_id for c in added], "reserved: " + ", ".join(c.cve_id for c in added))


def services(args, out):
    from secdesk.advisories.cve_services import do_set_cve_services

    account = do_set_cve_services(
        _project(args.project),
        org=args.org,
        user=args.user,
        api_key=read_text(args.api_key).strip(),
        url=args.url,
        acting=acting(args),
    )
    out.emit(
        {"project": args.project, "org": account.org, "user": account.user, "url": account.url},
        f"CVE Services account of {args.project}: {account.org}/{account.user}",
    )


def edit(args, out):
    from secdesk.advisories.actions import ADVISORY_FIELDS, do_edit_advisory

    person = acting(args)
    changes = {
        field: read_text(getattr(args, field))
        for field in ADVISORY_FIELDS
        if getattr(args, field) is not None
    }
    do_edit_advisory(visible_case(args, person), changes, acting=person)
    out.emit({"case": args.case, "changed": sorted(changes)}, f"case #{args.case}: advisory saved")


def amend(args, out):
    from secdesk.advisories.revisions import do_amend_advisory

    person = acting(args)
    revision = do_amend_advisory(
        visible_case(args, person), reason=read_text(args.reason), acting=person
    )
    facts = revision.documents["facts"]
    out.emit(
        {
            "case": args.case,
            "advisory": facts["id"],
            "revision": revision.number,
            "updated": facts["updated"],
            "reason": revision.reason,
        },
        f"{facts['id']}: revision {revision.number} is out ({revision.reason})",
    )


def _documents(args):
    from secdesk.advisories.published import case_documents

    case = visible_case(args, acting(args))
    return case, case_documents(case)


def show(args, out):
    from secdesk.advisories.embargo_end import missing_for

    case, documents = _documents(args)
    data = {"facts": documents["facts"], "missing": missing_for(case)}
    out.emit(
        data, documents["text"] + "\nStill missing: " + ("; ".join(data["missing"]) or "nothing")
    )


def render(args, out):
    import json
    import sys

    from django.template.loader import render_to_string

    _, documents = _documents(args)
    if args.format == "text":
        body = documents["text"]
    elif args.format == "html":
        body = render_to_string("advisories/advisory.html", {"facts": documents["facts"]})
    else:
        body = json.dumps(documents[args.format], indent=2, ensure_ascii=False) + "\n"
    sys.stdout.write(body)


def export_docs(args, out):
    from pathlib import Path

    from secdesk.advisories.policy_docs import (
        issues_section,
        process_page_html,
        security_txt,
        site_default_project,
    )
    from secdesk.errors import BadInput, NotFound
    from secdesk.teams.models import Project

    root = Path(args.directory)
    written = []
    try:
        for project in Project.objects.select_related("policy"):
            folder = root / "security" / project.slug
            folder.mkdir(parents=True, exist_ok=True)
            for name, text in (
                ("index.html", process_page_html(project)),
                ("security-issues.md", issues_section(project)),
                ("security.txt", security_txt(project)),
            ):
                (folder / name).write_text(text, encoding="utf-8")
                written.append(str(folder / name))
        try:
            default = site_default_project()
        except NotFound:
            default = None
        if default is not None:
            well_known = root / ".well-known"
            well_known.mkdir(parents=True, exist_ok=True)
            (well_known / "security.txt").write_text(security_txt(default), encoding="utf-8")
            written.append(str(well_known / "security.txt"))
    except OSError as err:
        raise BadInput(f"cannot write to {args.directory}: {err.strerror}") from None
    out.emit(written, "\n".join(written) or "no project to document")
