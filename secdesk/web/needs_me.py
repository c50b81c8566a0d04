"""The top of the dashboard: what is waiting for this person, most urgent first."""

from dataclasses import dataclass, field
from datetime import timedelta

from secdesk.advisories.verify import cases_missing_fixes
from secdesk.cases.access import seen_by, visible_cases
from secdesk.cases.embargo_machine import IN_FORCE
from secdesk.cases.models import EmbargoProposal, ProposalState
from secdesk.cases.report_machine import OPEN_STATES
from secdesk.mail.moderation import queue
from secdesk.teams.access import projects_of
from secdesk.teams.models import JoinRequest

# Long enough to plan the announcement and the last backports over a weekend.
ENDING_WITHIN = timedelta(hours=72)
# Each kind of thing waiting is shown up to this many, the most urgent first:
# the dashboard costs the same however many cases a team has.
SHOWN = 10


@dataclass
class NeedsMe:
    held_reports: int = 0
    join_requests: list = field(default_factory=list)
    proposals: list = field(default_factory=list)
    missing_fixes: list = field(default_factory=list)
    ending: list = field(default_factory=list)
    shown: int = SHOWN

    def __bool__(self):
        return bool(
            self.held_reports
            or self.join_requests
            or self.proposals
            or self.missing_fixes
            or self.ending
        )


def needs_me(person, now) -> NeedsMe:
    cases = visible_cases(person)
    return NeedsMe(
        held_reports=queue(person).count(),
        join_requests=list(
            JoinRequest.objects.filter(
                state=JoinRequest.State.PENDING, project__in=projects_of(person)
            )
            .exclude(person=person)
            .exclude(vouches__member=person)
            .select_related("project", "person")
            .order_by("created_at")[:SHOWN]
        ),
        # An open proposal another member made, on which I have not voted yet:
        # it waits for my agreement (an extension) or my acceptance.
        proposals=list(
            EmbargoProposal.objects.filter(state=ProposalState.OPEN)
            .filter(seen_by(person, "embargo__case"))
            .exclude(proposed_by=person)
            .exclude(votes__person=person)
            .select_related("embargo__case__project", "proposed_by")
            .order_by("end_at")[:SHOWN]
        ),
        missing_fixes=_missing_fixes(cases),
        ending=list(
            cases.filter(
                embargo__state__in=IN_FORCE,
                embargo__end_at__isnull=False,
                embargo__end_at__lte=now + ENDING_WITHIN,
            )
            .select_related("project", "embargo")
            .order_by("embargo__end_at")[:SHOWN]
        ),
    )


def _missing_fixes(cases) -> list[tuple]:
    """Open security issues not yet published whose fixes do not cover every
    maintained branch: each case with what publication would say is missing."""
    waiting = cases.filter(state__in=OPEN_STATES, is_security_issue=True).unpublished()
    return cases_missing_fixes(waiting, limit=SHOWN)
