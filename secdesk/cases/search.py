"""Finding cases: the dashboard's search and filters, and the API's. Only ever
among the cases the person may see (`visible_cases`): a hidden case matches
nothing, and no count includes it."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from secdesk.cases.access import visible_cases
from secdesk.cases.embargo_machine import IN_FORCE
from secdesk.cases.models import Case
from secdesk.errors import BadInput
from secdesk.lib.case_reference import parse_reference
from secdesk.teams.models import Person

_CVE_ID = re.compile(r"CVE-\d{4}-\d{4,19}", re.IGNORECASE)


@dataclass(frozen=True)
class CaseQuery:
    """What a person asks for; empty parts ask for nothing."""

    text: str = ""
    project: str = ""  # a project's slug
    states: tuple[str, ...] = ()
    # An embargo in force whose end is within this time from now (or past).
    ending_within: timedelta | None = None


def find_cases(person: Person | None, query: CaseQuery, now: datetime) -> QuerySet:
    """The cases `person` may see that match `query`, unordered."""
    cases = visible_cases(person)
    if query.project:
        cases = cases.filter(project__slug=query.project)
    if query.states:
        cases = cases.filter(state__in=query.states)
    if query.ending_within is not None:
        cases = cases.filter(
            embargo__state__in=IN_FORCE,
            embargo__end_at__isnull=False,
            embargo__end_at__lte=now + query.ending_within,
        )
    if query.text.strip():
        cases = cases.filter(matching(query.text.strip()))
    return cases


def matching(text: str) -> Q:
    """A case whose title or reporter's address holds `text`, whose reference
    it is (`example#8`, `#8`, `8`), or that holds it as a CVE id."""
    found = Q(title__icontains=text) | Q(reporter__email__icontains=text)
    try:
        slug, number = parse_reference(text)
    except BadInput:
        pass
    else:
        found |= Q(number=number, project__slug=slug) if slug else Q(number=number)
    if _CVE_ID.fullmatch(text):
        # Through a subquery: a join would bring a case once per CVE id it holds.
        found |= Q(pk__in=Case.objects.filter(cve_ids__cve_id__iexact=text).values("pk"))
    return found
