"""Joining a team, the team page, the policy to accept, and the audit trail."""

import contextlib

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from secdesk.audit.models import AuditRecord
from secdesk.cases.access import of_visible_cases
from secdesk.cases.numbers import references
from secdesk.errors import NotAllowed, Refused
from secdesk.teams import joining
from secdesk.teams.access import has_role, projects_of
from secdesk.teams.actions import do_accept_policy, do_decline_policy
from secdesk.teams.models import Consent, JoinRequest, Membership, Project, Role
from secdesk.web import report_guard
from secdesk.web.decorators import login_view, member_view, public_view
from secdesk.web.throttle import client_address


class JoinForm(forms.Form):
    email = forms.EmailField(label="Your work email address")
    name = forms.CharField(max_length=200, label="Your name")
    organisation = forms.CharField(max_length=200, label="The vendor or distribution you represent")
    statement = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Who you are, and which members can vouch for you",
    )


@public_view
@require_http_methods(["GET", "POST"])
def join(request, slug):
    project = get_object_or_404(Project, slug=slug)
    form = JoinForm(request.POST or None)
    if request.method == "GET":
        return _join_page(request, project, form)
    client = client_address(request)
    try:
        report_guard.check_rate(client)
    except report_guard.Guarded as refused:
        form.add_error(None, refused.message)
        return _join_page(request, project, form, status=429)
    if not form.is_valid():
        return _join_page(request, project, form, status=400)
    report_guard.count_post(client)
    # Someone already on the team, or who already asked, gets the same answer
    # as a new request: the form must not tell anyone who is on the team.
    with contextlib.suppress(Refused):
        joining.do_request_membership(project, **form.cleaned_data)
    return render(request, "secdesk/join_sent.html", {"project": project})


def _join_page(request, project, form, *, status=200):
    return render(request, "secdesk/join.html", {"project": project, "form": form}, status=status)


def _project_for_member(request, slug) -> Project:
    project = Project.objects.select_related("policy").filter(slug=slug).first()
    if project is None or not has_role(request.person, project):
        raise Http404("no such project")
    return project


# A page of the team: its members, and the requests to join, a page at a time.
MEMBERS_PER_PAGE = 50
REQUESTS_PER_PAGE = 20


@member_view
def team(request, slug):
    project = _project_for_member(request, slug)
    requests = (
        project.join_requests.filter(state=JoinRequest.State.PENDING)
        .select_related("person")
        .prefetch_related("vouches__member")
        .order_by("created_at", "pk")
    )
    members = project.memberships.select_related("person", "vouched_by").order_by(
        "removed_at", "person__email", "pk"
    )
    return render(
        request,
        "secdesk/team.html",
        {
            "project": project,
            "requests": Paginator(requests, REQUESTS_PER_PAGE).get_page(
                request.GET.get("requests")
            ),
            "members": Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("members")),
            "is_admin": has_role(request.person, project, Role.ADMIN),
            "roles": Role.values,
        },
    )


def _team_step(request, slug, step, done: str):
    project = _project_for_member(request, slug)
    try:
        step(project)
    except NotAllowed as refused:
        return render(request, "403.html", {"reason": refused.message}, status=403)
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, done)
    return redirect("team", slug=project.slug)


class TeamStepForm(forms.Form):
    """What the team page's buttons post, as posted: the actions judge it."""

    email = forms.CharField(required=False, strip=False)
    statement = forms.CharField(required=False, strip=False)
    reason = forms.CharField(required=False, strip=False)
    role = forms.CharField(required=False, strip=False)


def _posted(request) -> dict:
    form = TeamStepForm(request.POST)
    form.is_valid()  # every field is optional text: always valid
    return form.cleaned_data


@member_view
@require_POST
def vouch(request, slug):
    data = _posted(request)
    return _team_step(
        request,
        slug,
        lambda project: joining.do_vouch(
            project, email=data["email"], statement=data["statement"], acting=request.person
        ),
        f"You vouched for {data['email']}.",
    )


@member_view
@require_POST
def approve(request, slug):
    data = _posted(request)
    role = data["role"] if "role" in request.POST else Role.MEMBER
    return _team_step(
        request,
        slug,
        lambda project: joining.do_approve_request(
            project, email=data["email"], role=role, acting=request.person
        ),
        f"{data['email']} approved; they join once they accept the embargo policy.",
    )


@member_view
@require_POST
def reject(request, slug):
    data = _posted(request)
    return _team_step(
        request,
        slug,
        lambda project: joining.do_reject_request(
            project, email=data["email"], reason=data["reason"], acting=request.person
        ),
        f"The request from {data['email']} was rejected.",
    )


@member_view
@require_POST
def remove(request, slug):
    data = _posted(request)
    return _team_step(
        request,
        slug,
        lambda project: joining.do_remove_member(
            project, email=data["email"], reason=data["reason"], acting=request.person
        ),
        f"{data['email']} removed; their sessions and API tokens ended.",
    )


@member_view
@require_POST
def change_role(request, slug):
    data = _posted(request)
    return _team_step(
        request,
        slug,
        lambda project: joining.do_change_role(
            project, email=data["email"], role=data["role"], acting=request.person
        ),
        f"{data['email']} is now {data['role']}.",
    )


@login_view
@require_http_methods(["GET", "POST"])
def policy(request, slug):
    """The embargo policy, for an invited member to accept or decline, or for a
    member whose consent lapsed with a change to accept again."""
    project = get_object_or_404(Project.objects.select_related("policy"), slug=slug)
    membership = (
        Membership.objects.current().filter(project=project, person=request.person).first()
        if request.person
        else None
    )
    if membership is None:
        raise Http404("no such project")
    if request.method == "POST":
        step = do_accept_policy if request.POST.get("decision") == "accept" else do_decline_policy
        try:
            membership = step(project, acting=request.person)
        except Refused as refused:
            messages.error(request, refused.message)
        else:
            if membership.consent == Consent.SIGNATORY:
                messages.success(request, f"You are on the {project.name} security team.")
                return redirect("dashboard")
            messages.info(request, f"You declined; you are not on the {project.name} team.")
    return render(
        request,
        "secdesk/policy.html",
        {
            "project": project,
            "policy": project.policy,
            "membership": membership,
        },
    )


# A screenful of records; older ones a click away (`?before=SEQ`).
RECORDS_PER_PAGE = 100


class AuditPageForm(forms.Form):
    """Where the page starts: before or after a record's number."""

    before = forms.IntegerField(required=False, min_value=1)
    after = forms.IntegerField(required=False, min_value=0)


@member_view
def audit_trail(request):
    """The audit trail of the projects the person administers, without the records
    of cases they may not see, newest first, a page at a time."""
    projects = projects_of(request.person, Role.ADMIN)
    form = AuditPageForm(request.GET)
    where = form.cleaned_data if form.is_valid() else {}
    # Both asked of each record (EXISTS), not as "among these": the database
    # then reads the trail newest first and stops at a page, where "project
    # among these" had it sort all of a project's 250,000 records (5 s).
    trail = AuditRecord.objects.filter(Exists(projects.filter(pk=OuterRef("project_id")))).filter(
        of_visible_cases(request.person)
    )
    records, older, newer = _audit_page(trail, where.get("before"), where.get("after"))
    named = references(r.case_id for r in records)
    for r in records:
        r.reference = named.get(r.case_id)
    context = {"records": records, "projects": projects, "older": older, "newer": newer}
    return render(request, "secdesk/audit.html", context)


def _audit_page(trail, before: int | None, after: int | None):
    """A page of the trail, newest first: the records before record `before`
    (from the newest when neither is given), or those just after `after`;
    with where the older and the newer page start (None: there is none).
    Pages are kept by record number, not counted: the trail only grows."""
    if after is not None:
        records = list(
            trail.filter(seq__gt=after)
            .order_by("seq")
            .select_related("actor")[: RECORDS_PER_PAGE + 1]
        )
        more = len(records) > RECORDS_PER_PAGE
        records = records[:RECORDS_PER_PAGE][::-1]
        if not records:
            return [], None, None
        return records, records[-1].seq, records[0].seq if more else None
    if before is not None:
        trail = trail.filter(seq__lt=before)
    records = list(trail.order_by("-seq").select_related("actor")[: RECORDS_PER_PAGE + 1])
    more = len(records) > RECORDS_PER_PAGE
    records = records[:RECORDS_PER_PAGE]
    if not records:
        return [], None, None
    return records, records[-1].seq if more else None, records[0].seq if before else None


def pending_consent(person):
    """Memberships waiting for the person's (re-)acceptance of a policy."""
    if person is None:
        return []
    return list(
        Membership.objects.current()
        .filter(person=person, consent__in=[Consent.INVITED, Consent.LAPSED])
        .select_related("project")
    )
