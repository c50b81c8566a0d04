"""The mail the join flow sends, through the outbox (written in the action's
transaction, delivered by the worker after commit)."""

import textwrap

from django.conf import settings
from django.urls import reverse

from secdesk.lib.mail_text import mail_text
from secdesk.outbox import queue
from secdesk.teams.login_links import issue_login_link
from secdesk.teams.models import JoinRequest, Membership, Role


def _admins(project) -> list[str]:
    return list(
        Membership.objects.active()
        .filter(project=project, role=Role.ADMIN)
        .values_list("person__email", flat=True)
    )


# What a digest quotes of each request's statement: the admins read enough to
# decide whether to look, and the form cannot be used to mail them a book.
QUOTED = 500


def join_requests_digest(project, requests: list[JoinRequest]) -> None:
    """Each admin, in a mail of their own (no admin sees the others'
    addresses), hears of new requests to join, so that they can ask the
    members who know the applicants to vouch."""
    team_page = settings.SITE_URL + reverse("team", args=[project.slug])
    body = mail_text(
        "teams/mail/join_digest.txt",
        project=project,
        team_page=team_page,
        requests=[
            (r, textwrap.indent(textwrap.shorten(r.statement, QUOTED, placeholder=" …"), "    "))
            for r in requests
        ],
    )
    for admin in _admins(project):
        queue.enqueue(
            project=project,
            to=[admin],
            subject=f"[{project.slug}] {len(requests)} new request(s) to join the security team",
            body=body,
            kind="join-digest",
        )


def join_approved(request: JoinRequest) -> None:
    """The applicant gets a one-time login link and the policy to accept."""
    project = request.project
    link = issue_login_link(request.person.user, minutes=7 * 24 * 60)
    policy_page = settings.SITE_URL + reverse("policy", args=[project.slug])
    queue.enqueue(
        project=project,
        to=[request.person.email],
        subject=f"Your request to join the {project.name} security team was approved",
        body=mail_text("teams/mail/join_approved.txt", link=link, policy_page=policy_page),
        kind="join-approved",
        dedupe_key=f"join-approved:{request.pk}",
    )
