"""`secdesk audit …`: the audit trail."""

from secdesk.cli.common import acting


def register(commands):
    audit = commands.add_parser("audit", help="the audit trail")
    sub = audit.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("log", help="the records, oldest first")
    p.add_argument("--case", type=int)
    p.add_argument("--project")
    p.set_defaults(handler=log)
    p = sub.add_parser("verify", help="check that no record was changed or deleted")
    p.set_defaults(handler=verify)
    p = sub.add_parser("export", help="the trail as JSON lines (site admins: all; admins: theirs)")
    p.add_argument("--output", "-o", default="-", help="a file (default: standard output)")
    p.set_defaults(handler=export)


def _row(r):
    return {
        "seq": r.seq,
        "at": r.at,
        "actor": r.actor.email if r.actor else "secdesk",
        "event": r.get_event_display(),
        "project": r.project_id,
        "case": r.case_id,
        "details": r.details,
    }


def log(args, out):
    from secdesk.audit.models import AuditRecord
    from secdesk.errors import NotFound
    from secdesk.teams.access import can_see_case, require_role
    from secdesk.teams.actions import project_by_slug
    from secdesk.teams.models import Consent, Membership, Role

    person = acting(args)
    records = AuditRecord.objects.select_related("actor")
    if args.case is not None:
        from secdesk.cases.models import Case

        case = Case.objects.filter(pk=args.case).first()
        if case is None or not can_see_case(person, case):
            raise NotFound(f"no case #{args.case} that {person.email} may see")
        records = records.filter(case_id=case.pk)
    elif args.project:
        project = project_by_slug(args.project)
        require_role(person, project, Role.ADMIN)
        records = records.filter(project_id=project.pk)
    else:
        admin_of = Membership.objects.filter(
            person=person, role=Role.ADMIN, removed_at__isnull=True, consent=Consent.SIGNATORY
        ).values_list("project_id", flat=True)
        records = records.filter(project_id__in=list(admin_of))
    rows = [_row(r) for r in records]

    def text(console):
        for r in rows:
            console.print(
                f"{r['seq']:>6} {r['at']:%Y-%m-%d %H:%M:%S} "
                f"{'#' + str(r['case']) if r['case'] else '':>6} {r['actor']}: "
                f"{r['event']}",
                markup=False,
            )

    out.emit(rows, text)


def verify(args, out):
    from secdesk.audit.log import first_broken
    from secdesk.audit.models import AuditRecord

    broken = first_broken(AuditRecord.objects.order_by("seq").iterator())
    count = AuditRecord.objects.count()
    if broken is None:
        out.emit({"ok": True, "records": count}, f"audit trail intact: {count} records")
        return 0
    _, why = broken
    out.emit({"ok": False, "records": count, "problem": why}, f"audit trail broken: {why}")
    return 1


def export(args, out):
    import json
    import sys

    from django.db import transaction

    from secdesk.audit.log import record
    from secdesk.audit.models import AuditEvent, AuditRecord
    from secdesk.teams.access import projects_of
    from secdesk.teams.models import Role

    person = acting(args)
    records = AuditRecord.objects.select_related("actor").order_by("seq")
    if person.user is None or not person.user.is_superuser:
        records = records.filter(
            project_id__in=list(projects_of(person, Role.ADMIN).values_list("pk", flat=True))
        )
    with transaction.atomic():
        record(person, AuditEvent.AUDIT_EXPORTED, count=records.count())
    stream = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")  # noqa: SIM115
    try:
        for r in records.iterator():
            row = _row(r)
            row.update(prev_hash=r.prev_hash, hash=r.hash)
            stream.write(json.dumps(row, default=str, sort_keys=True) + "\n")
    finally:
        if stream is not sys.stdout:
            stream.close()
