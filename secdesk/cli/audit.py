"""`secdesk audit …`: the audit trail."""

from secdesk.cli.common import acting, visible_case


def _references(records) -> dict[int, str]:
    from secdesk.cases.numbers import references

    return references(records.values_list("case_id", flat=True))


def _row(r, references):
    return {
        "seq": r.seq,
        "at": r.at,
        "actor": r.actor.email if r.actor else "secdesk",
        "event": r.get_event_display(),
        "project": r.project_id,
        "case": r.case_id,
        "reference": references.get(r.case_id),
        "details": r.details,
    }


def _readable(person):
    """The records the person may read: never those of a case they may not see."""
    from secdesk.audit.models import AuditRecord
    from secdesk.cases.access import of_visible_cases

    return AuditRecord.objects.select_related("actor").filter(of_visible_cases(person))


def log(args, out):
    from secdesk.teams.access import projects_of, require_role
    from secdesk.teams.actions import project_by_slug
    from secdesk.teams.models import Role

    person = acting(args)
    records = _readable(person)
    if args.case is not None:
        records = records.filter(case_id=visible_case(args, person).pk)
    elif args.project:
        project = project_by_slug(args.project)
        require_role(person, project, Role.ADMIN)
        records = records.filter(project_id=project.pk)
    else:
        records = records.filter(project_id__in=projects_of(person, Role.ADMIN).values("pk"))
    references = _references(records)
    rows = [_row(r, references) for r in records.order_by("seq")]

    def text(console):
        for r in rows:
            console.print(
                f"{r['seq']:>6} {r['at']:%Y-%m-%d %H:%M:%S} "
                f"{r['reference'] or '':>10} {r['actor']}: "
                f"{r['event']}",
                markup=False,
            )

    out.emit(rows, text)


def verify(args, out):
    from secdesk.audit.verify import check_trail, parse_anchor

    verdict = check_trail([parse_anchor(text) for text in args.anchor])
    last = verdict.last_anchor
    data = {
        "ok": not verdict.problems,
        "records": verdict.records,
        "last_anchor": last and {"seq": last.seq, "at": last.at, "token": last.token},
        "problem": verdict.problems[0] if verdict.problems else None,
        "problems": verdict.problems,
    }
    if verdict.problems:
        out.emit(data, "\n".join(f"audit trail broken: {p}" for p in verdict.problems))
        return 1
    anchored = (
        f" (last anchored at record {last.seq}, {last.at:%Y-%m-%d %H:%M} UTC)" if last else ""
    )
    out.emit(data, f"audit trail intact: {verdict.records} records{anchored}")
    return 0


def anchor(args, out):
    from secdesk.mail.audit_anchors import anchor_statement, do_anchor_audit

    made = do_anchor_audit(acting=acting(args))
    out.emit(
        {"seq": made.seq, "hash": made.hash, "at": made.at, "seal": made.seal, "token": made.token},
        anchor_statement(made).rstrip("\n"),
    )


def export(args, out):
    import json
    import sys

    from django.db import transaction

    from secdesk.audit.log import record
    from secdesk.audit.models import AuditEvent
    from secdesk.teams.access import is_site_admin, projects_of
    from secdesk.teams.models import Role

    person = acting(args)
    records = _readable(person).order_by("seq")
    if not is_site_admin(person):
        records = records.filter(project_id__in=projects_of(person, Role.ADMIN).values("pk"))
    with transaction.atomic():
        record(person, AuditEvent.AUDIT_EXPORTED, count=records.count())
    stream = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")  # noqa: SIM115
    try:
        references = _references(records)
        for r in records.iterator():
            row = _row(r, references)
            row.update(prev_hash=r.prev_hash, hash=r.hash)
            stream.write(json.dumps(row, default=str, sort_keys=True) + "\n")
    finally:
        if stream is not sys.stdout:
            stream.close()
