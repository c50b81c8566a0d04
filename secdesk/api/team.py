"""Projects: the policy and the team."""

from typing import Any

from django.db.models import F
from ninja import Router, Schema
from ninja.pagination import paginate

from secdesk.api.auth import require_write
from secdesk.api.pages import Pages
from secdesk.api.schemas import ERRORS, Done
from secdesk.teams.access import require_role
from secdesk.teams.actions import POLICY_FIELDS, do_accept_policy, do_set_policy, project_by_slug
from secdesk.teams.joining import do_approve_request, do_remove_member, do_vouch

router = Router(tags=["team"])
D = {200: Done, **ERRORS}


def _policy(policy) -> dict[str, Any]:
    return {"version": policy.version, **{f: getattr(policy, f) for f in POLICY_FIELDS}}


@router.get(
    "/{slug}/policy",
    response={200: dict[str, Any], **ERRORS},
    summary="The project's embargo policy",
)
def policy(request, slug: str):
    project = project_by_slug(slug)
    require_role(request.person, project)
    return _policy(project.policy)


class PolicyChanges(Schema):
    changes: dict[str, str]


@router.patch(
    "/{slug}/policy",
    response={200: dict[str, Any], **ERRORS},
    summary="Change the policy (admins); other members must accept it again",
)
def set_policy(request, slug: str, body: PolicyChanges):
    require_write(request)
    return _policy(do_set_policy(project_by_slug(slug), body.changes, acting=request.person))


class Member(Schema):
    email: str
    role: str
    organisation: str
    consent: str
    policy_version: int | None
    removed: bool


def _members(request, memberships) -> list[dict]:
    return [
        {
            "email": m.email,
            "role": m.role,
            "organisation": m.organisation,
            "consent": m.consent,
            "policy_version": m.consent_version,
            "removed": m.removed_at is not None,
        }
        for m in memberships
    ]


@router.get(
    "/{slug}/members",
    response={200: list[Member], **ERRORS},
    summary="The team, by address, a page at a time",
)
@paginate(Pages, ordering=("email",), shown=_members)
def members(request, slug: str):
    project = project_by_slug(slug)
    require_role(request.person, project)
    return project.memberships.annotate(email=F("person__email"))


class Approval(Schema):
    email: str
    role: str = "member"


class Vouching(Schema):
    email: str
    statement: str = ""


@router.post("/{slug}/vouches", response=D, summary="Vouch for someone asking to join")
def vouch(request, slug: str, body: Vouching):
    require_write(request)
    do_vouch(
        project_by_slug(slug), email=body.email, statement=body.statement, acting=request.person
    )
    return {"detail": f"you vouched for {body.email}"}


@router.post("/{slug}/approvals", response=D, summary="Approve a vouched request (admins)")
def approve(request, slug: str, body: Approval):
    require_write(request)
    do_approve_request(
        project_by_slug(slug), email=body.email, role=body.role, acting=request.person
    )
    return {"detail": f"{body.email} approved; they join once they accept the policy"}


class Removal(Schema):
    email: str
    reason: str


@router.post(
    "/{slug}/removals",
    response=D,
    summary="Remove a member (admins), or leave; access ends at once",
)
def remove(request, slug: str, body: Removal):
    require_write(request)
    do_remove_member(
        project_by_slug(slug), email=body.email, reason=body.reason, acting=request.person
    )
    return {"detail": f"{body.email} removed"}


@router.post("/{slug}/consent", response=D, summary="Accept the current embargo policy")
def accept_policy(request, slug: str):
    require_write(request)
    membership = do_accept_policy(project_by_slug(slug), acting=request.person)
    return {"detail": f"accepted policy version {membership.consent_version}"}
