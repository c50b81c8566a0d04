"""Cases: reading, the report lifecycle, triage, facts, CVE, fixes, replies, publication."""

from datetime import timedelta

from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from secdesk.advisories.actions import do_assign_cve, do_assign_next_cve
from secdesk.advisories.models import Publication
from secdesk.advisories.publication import do_queue_publication
from secdesk.advisories.revisions import do_amend_advisory
from secdesk.api.auth import require_write
from secdesk.api.pages import Pages
from secdesk.api.schemas import ERRORS, CaseDetail, CaseSummary, OptionalReason, Reason
from secdesk.cases import access
from secdesk.cases.actions.reports import (
    REPORT_MOVES,
    ReportMove,
    do_mark_duplicate,
    do_receive_report,
)
from secdesk.cases.actions.restriction import do_restrict_case
from secdesk.cases.actions.triage import do_fix_found_faulty, do_record_triage, do_set_fact
from secdesk.cases.search import CaseQuery, find_cases
from secdesk.cases.serialize import case_detail, case_summary
from secdesk.cases.viewing import record_view
from secdesk.errors import BadInput, NotFound
from secdesk.fixes.actions import do_record_fix
from secdesk.mail.posts import do_post_reply
from secdesk.teams.actions import project_by_slug

router = Router(tags=["cases"])
R = {200: CaseSummary, **ERRORS}


def visible_case(request, project: str, number: int):
    """The case a path names: `cases/example/8` for example#8."""
    return access.visible_case(request.person, f"{project}#{number}")


def _acting_on(request, project: str, number: int):
    require_write(request)
    return visible_case(request, project, number)


@router.get(
    "",
    response={200: list[CaseSummary], **ERRORS},
    summary="The cases you may see, newest first, a page at a time",
)
# Paged by the time of the report: a page token holds the time of a case the
# reader sees, where a row id would count every case of the site.
@paginate(
    Pages, ordering=("-received_at",), shown=lambda request, cases: list(map(case_summary, cases))
)
def list_cases(
    request,
    state: str | None = None,
    project: str | None = None,
    q: str | None = None,
    ending_within_days: int | None = None,
):
    """`q` finds a title, a reference (example#8), a CVE id or a reporter's
    address; `ending_within_days`, the embargoes in force that end by then."""
    if ending_within_days is not None and not 0 <= ending_within_days <= 3650:
        raise BadInput("bad input: ending_within_days: from 0 to 3650")
    query = CaseQuery(
        text=q or "",
        project=project or "",
        states=(state,) if state else (),
        ending_within=None if ending_within_days is None else timedelta(days=ending_within_days),
    )
    found = find_cases(request.person, query, timezone.now())
    return found.select_related("project", "embargo", "publication")


class NewReport(Schema):
    project: str
    reporter: str
    subject: str
    body: str
    reporter_name: str = ""
    public: bool = False


@router.post("", response=R, summary="File a report received outside the security address")
def receive(request, report: NewReport):
    require_write(request)
    case = do_receive_report(
        project_by_slug(report.project),
        reporter_email=report.reporter,
        reporter_name=report.reporter_name,
        subject=report.subject,
        body=report.body,
        public=report.public,
        acting=request.person,
    )
    return case_summary(case)


@router.get(
    "/{project}/{number}", response={200: CaseDetail, **ERRORS}, summary="Everything about a case"
)
def show(request, project: str, number: int):
    case = visible_case(request, project, number)
    record_view(request.person, case, via="api")
    return case_detail(case, request.person)


def _step(move: ReportMove):
    def step(request, project: str, number: int, body: OptionalReason):
        case = _acting_on(request, project, number)
        return case_summary(move.run(case, acting=request.person, reason=body.reason))

    step.__name__ = f"{move.name}_report"
    return step


for _move in REPORT_MOVES.values():
    router.post(
        f"/{{project}}/{{number}}/{_move.name}",
        response=R,
        summary=f"{_move.name.capitalize()} the report",
    )(_step(_move))


class Duplicate(Schema):
    # A number of the same project, or a reference: 3, "example#3".
    of: int | str


@router.post(
    "/{project}/{number}/duplicate", response=R, summary="Defer as a duplicate of another case"
)
def duplicate(request, project: str, number: int, body: Duplicate):
    case = _acting_on(request, project, number)
    return case_summary(do_mark_duplicate(case, of=body.of, acting=request.person))


class Triage(Schema):
    security_issue: bool
    reasoning: str
    cvss3: str = ""
    cvss4: str = ""


@router.post("/{project}/{number}/triage", response=R, summary="Record the triage decision")
def triage(request, project: str, number: int, body: Triage):
    case = _acting_on(request, project, number)
    return case_summary(
        do_record_triage(
            case,
            security_issue=body.security_issue,
            reasoning=body.reasoning,
            cvss3=body.cvss3,
            cvss4=body.cvss4,
            acting=request.person,
        )
    )


class Fact(Schema):
    fact: str


@router.post("/{project}/{number}/facts", response=R, summary="Set a one-way case fact")
def fact(request, project: str, number: int, body: Fact):
    case = _acting_on(request, project, number)
    return case_summary(do_set_fact(case, body.fact, acting=request.person))


@router.post("/{project}/{number}/fix-faulty", response=R, summary="A proposed fix proved faulty")
def fix_faulty(request, project: str, number: int, body: Reason):
    case = _acting_on(request, project, number)
    return case_summary(do_fix_found_faulty(case, reason=body.reason, acting=request.person))


class Cve(Schema):
    cve_id: str = ""


@router.post(
    "/{project}/{number}/cve",
    response=R,
    summary="Assign a CVE id (or, without one, the next from the project's pool)",
)
def assign_cve(request, project: str, number: int, body: Cve):
    case = _acting_on(request, project, number)
    if body.cve_id:
        do_assign_cve(case, cve_id=body.cve_id, acting=request.person)
    else:
        do_assign_next_cve(case, acting=request.person)
    case.refresh_from_db()
    return case_summary(case)


class FixCommit(Schema):
    branch: str
    commit: str
    repository: str = ""


@router.post("/{project}/{number}/fixes", response=R, summary="Record a fix commit on a branch")
def record_fix(request, project: str, number: int, body: FixCommit):
    case = _acting_on(request, project, number)
    do_record_fix(
        case,
        branch=body.branch,
        commit=body.commit,
        repository=body.repository,
        acting=request.person,
    )
    case.refresh_from_db()
    return case_summary(case)


class Reply(Schema):
    body: str
    internal: bool = False


@router.post(
    "/{project}/{number}/messages",
    response=R,
    summary="Reply on the case (to the team and the reporter) or add an internal note",
)
def reply(request, project: str, number: int, body: Reply):
    case = _acting_on(request, project, number)
    do_post_reply(case, body=body.body, internal=body.internal, acting=request.person)
    return case_summary(case)


class Restriction(Schema):
    members: list[str]


@router.post(
    "/{project}/{number}/restriction",
    response=R,
    summary="Only these members see the case (empty: the whole team)",
)
def restrict(request, project: str, number: int, body: Restriction):
    case = _acting_on(request, project, number)
    return case_summary(do_restrict_case(case, emails=body.members, acting=request.person))


class Publish(Schema):
    end_embargo: bool = False
    override_reason: str = ""


class Publishing(Schema):
    case: CaseSummary
    progress: str
    last_error: str


def _publishing(case, publication: Publication) -> dict:
    case.refresh_from_db()
    return {
        "case": case_summary(case),
        "progress": publication.progress,
        "last_error": publication.last_error,
    }


@router.post(
    "/{project}/{number}/publish",
    response={202: Publishing, **ERRORS},
    summary="Publish the case: the worker announces it and publishes its files and CVE records",
)
def publish(request, project: str, number: int, body: Publish):
    case = _acting_on(request, project, number)
    publication = do_queue_publication(
        case,
        acting=request.person,
        end_embargo=body.end_embargo,
        override_reason=body.override_reason,
    )
    return Status(202, _publishing(case, publication))


@router.get(
    "/{project}/{number}/publication",
    response={200: Publishing, **ERRORS},
    summary='How far the case\'s publication got ("done" when it is published)',
)
def publication(request, project: str, number: int):
    case = visible_case(request, project, number)
    found = Publication.objects.filter(case=case).first()
    if found is None:
        raise NotFound(f"case {case.reference} is not being published")
    return _publishing(case, found)


class Amended(Schema):
    case: int
    advisory: str
    revision: int
    updated: str
    reason: str


@router.post(
    "/{project}/{number}/amend",
    response={200: Amended, **ERRORS},
    summary="Amend the published advisory, saying why (its next revision)",
)
def amend(request, project: str, number: int, body: Reason):
    case = _acting_on(request, project, number)
    revision = do_amend_advisory(case, reason=body.reason, acting=request.person)
    facts = revision.documents["facts"]
    return {
        "case": case.pk,
        "advisory": facts["id"],
        "revision": revision.number,
        "updated": facts["updated"],
        "reason": revision.reason,
    }
