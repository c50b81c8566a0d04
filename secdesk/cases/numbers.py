"""Case numbers: each project counts its own cases (`example#1`, `other#1`),
so that a reference tells no one how many reports the site holds."""

from django.db.models import Max

from secdesk.cases.models import Case
from secdesk.teams.models import Project


def assign_numbers(project: Project, cases) -> None:
    """Number new cases of `project`, inside the caller's transaction and before
    they are inserted.

    The project's row is locked first (SELECT … FOR NO KEY UPDATE on
    PostgreSQL, see `lock_case`; on SQLite every write transaction begins
    IMMEDIATE and so holds the database): two reports arriving at once cannot
    both read the same highest number. The unique constraint on (project,
    number) stays as the last guard. Cases are never deleted, so a number is
    never handed out twice."""
    Project.objects.select_for_update(no_key=True).filter(pk=project.pk).values_list("pk").get()
    last = project.cases.aggregate(last=Max("number"))["last"] or 0
    for offset, case in enumerate(cases, start=1):
        case.number = last + offset


def references(case_ids) -> dict[int, str]:
    """Each case's reference by its id: for rows that keep a bare case id (the
    audit trail), read in one query."""
    ids = {pk for pk in case_ids if pk is not None}
    cases = Case.objects.filter(pk__in=ids).select_related("project")
    return {case.pk: case.reference for case in cases}
