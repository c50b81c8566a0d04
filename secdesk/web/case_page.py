"""The case page: where members work a case. Each panel shows its part of the
case and the forms that change it; the forms post to case_actions.py, which
renders this page again with the refusal next to the form that caused it."""

import json
from dataclasses import dataclass, field

from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html_join

from secdesk.advisories.actions import ADVISORY_FIELDS, publication_problems
from secdesk.advisories.models import Advisory, Publication
from secdesk.advisories.published import case_documents
from secdesk.advisories.render import FORMATS
from secdesk.advisories.verify import verify_case
from secdesk.cases.access import can_see_case, visible_case
from secdesk.cases.actions.reports import REPORT_MOVES
from secdesk.cases.embargo_machine import EMBARGO
from secdesk.cases.facts import FACTS
from secdesk.cases.models import EmbargoState, ProposalState
from secdesk.cases.report_machine import REPORT
from secdesk.cases.viewing import record_view
from secdesk.errors import NotFound, Refused
from secdesk.lib.dates import offered_zones
from secdesk.outbox.queue import undelivered_on
from secdesk.teams.access import active_membership, has_role, holds
from secdesk.teams.models import Membership, Role
from secdesk.web import cvss
from secdesk.web.case_glance import (
    fold_lines,
    history_page,
    next_step,
    publish_line,
    thread_page,
)
from secdesk.web.clock import embargo_clock
from secdesk.web.decorators import member_view

FORMAT_LABELS = {
    "text": "Announcement",
    "html": "HTML page",
    "cve": "CVE JSON",
    "osv": "OSV",
    "csaf": "CSAF",
}
# An embargo end is entered with its zone.
ZONES = offered_zones()


def zone_options(chosen: str = "") -> str:
    """The embargo form's zone choices: some six hundred options, joined
    here rather than looped over in the template, where they were a sixth
    of the case page's time."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((zone, " selected" if zone == chosen else "", zone) for zone in ZONES),
    )


@dataclass
class BranchRow:
    """One maintained branch (or a pattern no branch matches yet) in the fixes panel."""

    branch: str
    fixes: list = field(default_factory=list)
    not_affected: object = None
    problems: list = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.problems:
            return "problem"
        if self.not_affected is not None and not self.fixes:
            return "not affected"
        return "verified"


def member_case(person, ref):
    """The case if the person may see it; a 404 otherwise, so that a case they
    may not see looks the same as one that does not exist."""
    try:
        return visible_case(person, ref)
    except NotFound as missing:
        raise Http404(missing.message) from None


@member_view
def case_page(request, ref):
    case = member_case(request.person, ref)
    record_view(request.person, case, via="web")
    return render_case(request, case)


def render_case(request, case, *, errors=None, posted=None, status=200):
    """The case page; `errors` maps a panel to the refusal shown in it, and
    `posted` refills the form that was refused."""
    posted = posted or {}
    errors = errors or {}
    context = {
        **_case_context(request, case, posted),
        "errors": errors,
        "posted": posted,
        "zone_options": zone_options(posted.get("zone", "") if "embargo" in errors else ""),
    }
    context["next"] = next_step(
        case,
        context["embargo"],
        context["proposal"],
        context["blocking"],
        context["fix_problems"],
    )
    context["folds"] = fold_lines(case, context)
    return render(request, "secdesk/case.html", context, status=status)


@member_view
def publication_panel(request, ref):
    """The publication panel alone: the case page polls it while the worker
    carries a publication out, to show each step as it is done."""
    case = member_case(request.person, ref)
    context = {
        "case": case,
        "embargo": getattr(case, "embargo", None),
        "is_admin": has_role(request.person, case.project, Role.ADMIN),
        "errors": {},
        "posted": {},
        **_publication_context(case),
    }
    problems = len(context["blocking"]) + len(context["fix_problems"])
    context["folds"] = {"publish": publish_line(case, problems)}
    return render(request, "secdesk/case/publish.html", context)


def _case_context(request, case, posted):
    person = request.person
    membership = active_membership(person, case.project)
    # Read once for the panels that ask (fixes, publication, the fix form).
    prefetch_related_objects([case.project], "repositories")
    embargo = getattr(case, "embargo", None)
    proposal = None
    if embargo is not None:
        proposal = (
            embargo.proposals.filter(state=ProposalState.OPEN)
            .select_related("proposed_by")
            .prefetch_related("votes__person")
            .first()
        )
    return {
        "case": case,
        "person": person,
        # Marked before it was restricted, the original may be hidden from them now.
        "duplicate_of": case.duplicate_of
        if case.duplicate_of_id and can_see_case(person, case.duplicate_of)
        else None,
        "is_admin": holds(membership, Role.ADMIN),
        "policy": getattr(case.project, "policy", None),
        "embargo": embargo,
        "embargo_steps": EMBARGO.allowed(embargo.state if embargo else EmbargoState.NONE),
        **_report_moves(case),
        "clock": embargo_clock(embargo, timezone.now()),
        "proposal": proposal,
        "my_vote": proposal.votes.filter(person=person).first() if proposal else None,
        "cve_ids": case.cve_ids.select_related("allocated_by"),
        "branches": _branch_rows(case),
        "facts": [
            (name, name.replace("-", " ").capitalize(), getattr(case, attribute))
            for name, attribute in FACTS.items()
        ],
        "faulty_fixes": case.faulty_fixes.select_related("reported_by"),
        "cvss3_metrics": _cvss3_metrics(case, posted),
        # Not "messages": that name belongs to Django's messages framework.
        "thread": thread_page(case, request.GET.get("thread")),
        "history": history_page(case, request.GET.get("history")),
        "team": Membership.objects.active()
        .filter(project=case.project)
        .select_related("person")
        .order_by("person__email"),
        "restricted_to": set(case.restricted_to.values_list("pk", flat=True)),
        # Mail the relay refused, for those who look after the outbox (as
        # `secdesk outbox list` shows it to them).
        "undelivered": list(undelivered_on(case)) if holds(membership, Role.MODERATOR) else [],
        **_advisory_context(request, case, posted),
        **_publication_context(case),
    }


def _report_moves(case) -> dict:
    moves = [REPORT_MOVES[e] for e in REPORT.allowed(case.state) if e in REPORT_MOVES]
    return {
        "report_moves": moves,
        "report_moves_need_reason": any(move.needs_reason for move in moves),
    }


def _cvss3_metrics(case, posted):
    """Each metric's select, preset from a refused form or else from the case."""
    chosen = cvss.decompose(case.cvss3_vector)
    if any(cvss.field_name(metric) in posted for metric, _, _ in cvss.BASE_METRICS):
        chosen = {
            metric: posted.get(cvss.field_name(metric), "") for metric, _, _ in cvss.BASE_METRICS
        }
    return [
        (cvss.field_name(metric), label, options, chosen.get(metric, ""))
        for metric, label, options in cvss.BASE_METRICS
    ]


def _branch_rows(case) -> list[BranchRow]:
    """Each maintained branch with its fixes, its "not affected" note and the
    problems verification finds on it (from the mirrors as they are: a page
    view never fetches)."""
    rows: dict[str, BranchRow] = {}

    def row(branch):
        return rows.setdefault(branch, BranchRow(branch))

    for fix in case.fixes.select_related("repository", "recorded_by").order_by("branch"):
        row(fix.branch).fixes.append(fix)
    for marked in case.not_affected.select_related("recorded_by"):
        row(marked.branch).not_affected = marked
    if case.project.repositories.exists():
        for problem in verify_case(case, fetch=False):
            row(problem.branch).problems.append(problem.message)
    return sorted(rows.values(), key=lambda r: r.branch)


def _advisory_context(request, case, posted):
    advisory = Advisory.objects.filter(case=case).first()
    return {
        "advisory": advisory,
        "advisory_fields": [
            (name, _advisory_value(case, advisory, name, posted)) for name in ADVISORY_FIELDS
        ],
        # Asked for by the format's link (a browser without scripts); else
        # the panel loads it once it is shown (`advisory_preview`).
        **(_preview(case, request.GET["format"]) if "format" in request.GET else {}),
    }


def _preview(case, chosen: str) -> dict:
    """The advisory in one of its formats, as it would be published now: the
    facts gathered from the case, a fifth of the case page's time, which is
    why the page leaves it to be asked for."""
    if chosen not in FORMATS:
        chosen = "text"
    preview, preview_error = "", ""
    try:
        documents = case_documents(case)
    except Refused as refused:
        preview_error = refused.message
    else:
        if chosen == "text":
            preview = documents["text"]
        elif chosen == "html":
            preview = render_to_string("advisories/advisory.html", {"facts": documents["facts"]})
        else:
            preview = json.dumps(documents[chosen], indent=2, ensure_ascii=False)
    return {
        "formats": [(name, FORMAT_LABELS[name]) for name in FORMATS],
        "format": chosen,
        "preview": preview,
        "preview_error": preview_error,
        "previewed": True,
    }


@member_view
def advisory_preview(request, ref):
    """The advisory panel's preview alone, in the format asked for: what the
    panel loads when it is shown, and each format's tab. Embargoed text, so
    the view is recorded like the case page's."""
    case = member_case(request.person, ref)
    record_view(request.person, case, via="web")
    context = {"case": case, **_preview(case, request.GET.get("format", "text"))}
    return render(request, "secdesk/case/advisory_preview.html", context)


def _advisory_value(case, advisory, name, posted) -> str:
    if name in posted:
        return posted[name]
    if advisory is not None:
        return getattr(advisory, name)
    return case.title if name == "title" else ""


def _publication_context(case):
    publication = Publication.objects.filter(case=case).first()
    if publication is not None:
        revisions = list(publication.revisions.all()) if publication else []
        return {
            "publication": publication,
            "revisions": revisions,
            "blocking": [],
            "fix_problems": [],
        }
    blocking, fix_problems = publication_problems(case)
    return {"publication": None, "blocking": blocking, "fix_problems": fix_problems}
