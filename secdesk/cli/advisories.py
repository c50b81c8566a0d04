"""`secdesk cve pool|reserve|release|reject|services`, `secdesk advisory …`,
`secdesk docs export`: CVE ids, the advisory, and the public security documents."""

from secdesk.cli.common import acting, read_text, visible_case


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
    from secdesk.cases.access import visible_case_ids
    from secdesk.teams.access import require_role

    person = acting(args)
    project = _project(args.project)
    require_role(person, project)
    ids = list(project.cve_ids.select_related("allocated_by", "case__project"))
    # An assigned id names its case only to those who may see the case.
    shown = visible_case_ids(person, [c.case_id for c in ids])
    rows = [
        {
            "cve_id": c.cve_id,
            "state": c.state,
            "case": c.case.reference if c.case_id in shown else None,
            "allocated_by": c.allocated_by.email if c.allocated_by else None,
        }
        for c in ids
    ]
    out.emit(
        rows,
        "\n".join(
            f"{r['cve_id']}\t{r['state']}\t{r['case'] or ''}\t{r['allocated_by'] or ''}"
            for r in rows
        )
        or "the pool is empty",
    )


def assign_next(args, out):
    from secdesk.advisories.actions import do_assign_next_cve

    person = acting(args)
    case = visible_case(args, person)
    cve = do_assign_next_cve(case, acting=person)
    out.emit({"case": case.reference, "cve_id": cve.cve_id}, f"case {case.reference}: {cve.cve_id}")


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
    case = visible_case(args, person)
    do_edit_advisory(case, changes, acting=person)
    out.emit(
        {"case": case.reference, "changed": sorted(changes)},
        f"case {case.reference}: advisory saved",
    )


def amend(args, out):
    from secdesk.advisories.revisions import do_amend_advisory

    person = acting(args)
    case = visible_case(args, person)
    revision = do_amend_advisory(case, reason=read_text(args.reason), acting=person)
    facts = revision.documents["facts"]
    out.emit(
        {
            "case": case.reference,
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
