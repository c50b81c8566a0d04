"""The dashboard: what needs the person, then the cases they may see — the
open ones unless they ask for others — by a search and filters, a page at a
time, grouped by state in the order a report moves through its life.

A page costs the same few queries however many cases there are: one counts
the matching cases by state (the groups' headings, and the pager's total),
one reads the page's cases with their project and embargo.
"""

from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.core.paginator import Paginator
from django.db import models
from django.shortcuts import redirect, render
from django.utils import timezone

from secdesk.cases.access import visible_case
from secdesk.cases.models import Case, Embargo, ReportState
from secdesk.cases.search import CaseQuery, find_cases
from secdesk.errors import NotFound, Refused
from secdesk.teams.access import projects_of
from secdesk.web.clock import EmbargoClock, embargo_clock
from secdesk.web.decorators import member_view
from secdesk.web.needs_me import needs_me

STATE_ORDER = [
    ReportState.RECEIVED,
    ReportState.HELD,
    ReportState.VALID,
    ReportState.ACCEPTED,
    ReportState.DEFERRED,
    ReportState.INVALID,
    ReportState.CLOSED,
]
# Not finished: someone still has something to do.
OPEN = (ReportState.RECEIVED, ReportState.HELD, ReportState.VALID, ReportState.ACCEPTED)
CASES_PER_PAGE = 25
# What a case's line shows: only these are read (and sorted) of the page's cases.
LINE_FIELDS = (
    "number",
    "title",
    "state",
    "received_at",
    "project__slug",
    "project__name",
    "embargo__state",
    "embargo__end_at",
)


@dataclass(frozen=True)
class CaseLine:
    case: Case
    embargo: Embargo | None
    clock: EmbargoClock | None


class CaseSearchForm(forms.Form):
    """The dashboard's search and filters, as a GET form: a search's address
    can be kept and shared."""

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        help_text="a title, a reference (example#8), a CVE id or a reporter's address",
    )
    project = forms.ChoiceField(required=False, label="Project")
    state = forms.ChoiceField(
        required=False,
        label="State",
        choices=[("", "Open"), ("all", "Any state"), *ReportState.choices],
    )
    ending = forms.TypedChoiceField(
        required=False,
        label="Embargo ends",
        coerce=int,
        empty_value=None,
        choices=[
            ("", "Any time"),
            (3, "Within 3 days"),
            (7, "Within a week"),
            (30, "Within a month"),
        ],
    )

    def __init__(self, data, *, projects):
        super().__init__(data)
        # Only the person's own projects: another slug is "not one of the
        # choices", whether or not such a project exists.
        self.fields["project"].choices = [("", "All projects")] + [
            (p.slug, p.name) for p in projects
        ]

    def query(self) -> CaseQuery:
        """The query the valid fields ask for; an invalid field asks for nothing."""
        data = self.cleaned_data
        state = data.get("state") or ""
        ending = data.get("ending")
        return CaseQuery(
            text=data.get("q") or "",
            project=data.get("project") or "",
            states=() if state == "all" else (state,) if state else OPEN,
            ending_within=timedelta(days=ending) if ending else None,
        )


@member_view
def dashboard(request):
    """`?case=example#8` (the box at the top) opens that case; the search
    form's fields list the cases that match."""
    asked = request.GET.get("case", "").strip()
    if asked:
        try:
            return redirect("case", visible_case(request.person, asked))
        except NotFound as missing:
            return _dashboard(request, refusal=missing.message, status=404)
        except Refused as refused:
            return _dashboard(request, refusal=refused.message, status=400)
    return _dashboard(request)


def _dashboard(request, *, refusal="", status=200):
    now = timezone.now()
    projects = list(projects_of(request.person).order_by("slug"))
    form = CaseSearchForm(request.GET, projects=projects)
    if not form.is_valid() and status == 200:
        status = 400
    found = find_cases(request.person, form.query(), now)
    counts = dict(found.order_by().values_list("state").annotate(n=models.Count("pk")))
    lines = _in_state_order(found).select_related("project", "embargo").only(*LINE_FIELDS)
    paginator = Paginator(lines, CASES_PER_PAGE)
    # The counts by state add up to the total: the pager need not count again.
    paginator.count = sum(counts.values())
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "secdesk/dashboard.html",
        {
            "form": form,
            "page": page,
            "groups": _groups(page, counts, now),
            "needs": needs_me(request.person, now),
            "refusal": refusal,
            "has_projects": bool(projects),
            "several_projects": len(projects) > 1,
        },
        status=status,
    )


def _in_state_order(cases):
    rank = models.Case(
        *(models.When(state=state, then=n) for n, state in enumerate(STATE_ORDER)),
        output_field=models.IntegerField(),
    )
    return cases.annotate(state_rank=rank).order_by("state_rank", "-received_at", "-pk")


def _groups(page, counts: dict, now) -> list[tuple[str, int, list[CaseLine]]]:
    """The page's cases by state: each state's name, how many cases match in
    it on every page, and its lines on this one."""
    groups: dict[str, list[CaseLine]] = {}
    for case in page:
        embargo = getattr(case, "embargo", None)
        groups.setdefault(case.state, []).append(
            CaseLine(case, embargo, embargo_clock(embargo, now))
        )
    return [
        (ReportState(state).label, counts.get(state, len(lines)), lines)
        for state, lines in groups.items()
    ]
