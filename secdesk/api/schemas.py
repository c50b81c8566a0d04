from datetime import datetime
from typing import Any

from ninja import Schema


class Error(Schema):
    detail: str
    rule: str


ERRORS = {400: Error, 401: Error, 403: Error, 404: Error}


class Me(Schema):
    email: str
    name: str
    token: str
    scope: str


class CaseSummary(Schema):
    reference: str
    number: int
    project: str
    title: str
    state: str
    embargo_state: str
    embargo_end: datetime | None
    received_at: datetime
    published_at: datetime | None


CaseDetail = dict[str, Any]


class Reason(Schema):
    reason: str


class OptionalReason(Schema):
    reason: str = ""


class Done(Schema):
    ok: bool = True
    detail: str
