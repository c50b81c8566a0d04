"""Embargoes under the project's policy."""

from datetime import datetime

from ninja import Router, Schema

from secdesk.api.cases import _acting_on
from secdesk.api.schemas import ERRORS, OptionalReason, Reason
from secdesk.cases.actions.embargo import (
    do_accept_embargo,
    do_agree_embargo,
    do_object_embargo,
    do_propose_embargo,
    do_reject_embargo,
    do_restart_embargo,
    do_terminate_embargo,
)
from secdesk.cases.serialize import embargo_data
from secdesk.errors import BadInput

router = Router(tags=["embargo"])


class Embargo(Schema):
    state: str
    end: datetime | None
    clock_started_at: datetime | None
    restarts: int
    exit_reason: str
    exited_at: datetime | None
    proposals: list[dict]
    events: list[dict]


R = {200: Embargo, **ERRORS}


class Proposal(Schema):
    days: int | None = None
    end: datetime | None = None
    justification: str = ""


def _embargo(case):
    case.embargo.refresh_from_db()
    return embargo_data(case.embargo)


@router.post(
    "/{project}/{number}/embargo/propose",
    response=R,
    summary="Propose an embargo end (days on the embargo clock, or a time with a zone)",
)
def propose(request, project: str, number: int, body: Proposal):
    case = _acting_on(request, project, number)
    if body.end is not None and body.end.tzinfo is None:
        raise BadInput("the embargo end needs a zone, e.g. 2026-12-10T14:00Z")
    do_propose_embargo(
        case, days=body.days, end=body.end, justification=body.justification, acting=request.person
    )
    return _embargo(case)


@router.post("/{project}/{number}/embargo/accept", response=R, summary="Accept the open proposal")
def accept(request, project: str, number: int):
    case = _acting_on(request, project, number)
    do_accept_embargo(case, acting=request.person)
    return _embargo(case)


@router.post("/{project}/{number}/embargo/reject", response=R, summary="Reject the open proposal")
def reject(request, project: str, number: int, body: Reason):
    case = _acting_on(request, project, number)
    do_reject_embargo(case, reason=body.reason, acting=request.person)
    return _embargo(case)


@router.post("/{project}/{number}/embargo/agree", response=R, summary="Agree to the open proposal")
def agree(request, project: str, number: int, body: OptionalReason):
    case = _acting_on(request, project, number)
    do_agree_embargo(case, reason=body.reason, acting=request.person)
    return _embargo(case)


@router.post(
    "/{project}/{number}/embargo/object", response=R, summary="Object to the open proposal"
)
def object_(request, project: str, number: int, body: Reason):
    case = _acting_on(request, project, number)
    do_object_embargo(case, reason=body.reason, acting=request.person)
    return _embargo(case)


class Restart(Schema):
    days: int | None = None


@router.post(
    "/{project}/{number}/embargo/restart",
    response=R,
    summary="Restart the clock after a fix was found faulty",
)
def restart(request, project: str, number: int, body: Restart):
    case = _acting_on(request, project, number)
    do_restart_embargo(case, days=body.days, acting=request.person)
    return _embargo(case)


@router.post(
    "/{project}/{number}/embargo/end", response=R, summary="End the embargo now, by team decision"
)
def end(request, project: str, number: int, body: Reason):
    case = _acting_on(request, project, number)
    do_terminate_embargo(case, reason=body.reason, acting=request.person)
    return _embargo(case)
