"""The moderation queue: reports held at the security address (moderators)."""

from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import paginate

from secdesk.api.auth import require_write
from secdesk.api.pages import Pages
from secdesk.api.schemas import ERRORS, Reason
from secdesk.mail import moderation
from secdesk.mail.moderation import (
    do_approve,
    do_discard_spam,
    do_reject,
    held_item,
    shown_reasons,
    shown_reasons_of,
)

router = Router(tags=["moderation"])


class Held(Schema):
    id: int
    project: str
    case: str | None
    sender: str
    subject: str
    received_at: datetime
    state: str
    reasons: list


def _held(request, row, reasons=None) -> dict:
    return {
        "id": row.pk,
        "project": row.project.slug,
        "case": row.case.reference if row.case_id else None,
        "sender": row.sender,
        "subject": row.subject,
        "received_at": row.received_at,
        "state": row.state,
        "reasons": shown_reasons(request.person, row) if reasons is None else reasons,
    }


def _held_rows(request, rows) -> list[dict]:
    reasons = shown_reasons_of(request.person, rows)
    return [_held(request, row, reasons[row.pk]) for row in rows]


R = {200: Held, **ERRORS}


@router.get(
    "", response={200: list[Held], **ERRORS}, summary="Held mail you moderate, oldest first"
)
@paginate(Pages, ordering=("pk",), shown=_held_rows)
def queue(request):
    return moderation.queue(request.person)


def _decide(request, held_id: int, decide, **kwargs):
    require_write(request)
    row = held_item(request.person, held_id)
    return _held(request, decide(row, acting=request.person, **kwargs))


@router.post(
    "/{held_id}/approve",
    response=R,
    summary="Approve: the report becomes a case and reaches every member",
)
def approve(request, held_id: int):
    return _decide(request, held_id, do_approve)


@router.post("/{held_id}/reject", response=R, summary="Reject with a reason the reporter is told")
def reject(request, held_id: int, body: Reason):
    return _decide(request, held_id, do_reject, reason=body.reason)


@router.post("/{held_id}/spam", response=R, summary="Discard as spam (no reply)")
def spam(request, held_id: int):
    return _decide(request, held_id, do_discard_spam)
