"""The mail the join flow sends, through the outbox (written in the action's
transaction, delivered by the worker after commit)."""

from django.conf import settings
from django.urls import reverse

from secdesk.teams.models import Consent, JoinRequest, Person


def _members(project) -> list[Person]:
    return list(
        Person.objects.filter(
            memberships__project=project,
            memberships__removed_at__isnull=True,
            memberships__consent=Consent.SIGNATORY,
        ).order_by("email")
    )


def join_requested(request: JoinRequest) -> None:
    """Every member hears of the request, so those who know the applicant can
    vouch: one mail each, so that no member learns the team's addresses."""
    from secdesk.mail import outbox

    project = request.project
    team_page = settings.SITE_URL + reverse("team", args=[project.slug])
    outbox.enqueue_each(
        project=project,
        people=_members(project),
        subject=f"[{project.slug}] {request.person.email} asks to join the security team",
        body=(
            f"{request.person} asks to join the {project.name} security team, for "
            f"{request.organisation}.\n\nTheir words:\n\n{request.statement}\n\n"
            f"If you know them, vouch for them at {team_page}\n"
            f"(or: secdesk member vouch {project.slug} {request.person.email}).\n"
            f"An admin approves once {project.policy.vouches_needed} member(s) vouched.\n"
        ),
        kind="join-request",
        dedupe_key=f"join-request:{request.pk}",
    )


def join_approved(request: JoinRequest) -> None:
    """The applicant gets a one-time login link and the policy to accept."""
    from secdesk.mail import outbox
    from secdesk.web.login_links import issue_login_link

    project = request.project
    link = issue_login_link(request.person.user, minutes=7 * 24 * 60)
    policy_page = settings.SITE_URL + reverse("policy", args=[project.slug])
    outbox.enqueue(
        project=project,
        to=[request.person.email],
        subject=f"Your request to join the {project.name} security team was approved",
        body=(
            f"Welcome. One step is left: read and accept the embargo policy.\n\n"
            f"1. Log in once with this link (valid for 7 days, usable once):\n   {link}\n"
            f"2. Set up your second factor (any TOTP authenticator app).\n"
            f"3. Accept the policy at {policy_page}\n\n"
            "If you cannot honour an embargo, decline the policy instead: you will not join.\n"
        ),
        kind="join-approved",
        dedupe_key=f"join-approved:{request.pk}",
    )
