"""The forms of the case page. Each view checks the input, hands the step to its
action function and goes back to the case page: to the panel it came from when
the step was done, or with the refusal shown in that panel when it was not.

Plain forms that post and redirect, so every step works without JavaScript;
with htmx a form swaps only its own panel (see templates/secdesk/case/).
"""

import zoneinfo
from datetime import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from secdesk.advisories.actions import (
    ADVISORY_FIELDS,
    do_assign_cve,
    do_assign_next_cve,
    do_edit_advisory,
)
from secdesk.advisories.publication import do_queue_publication
from secdesk.advisories.revisions import do_amend_advisory
from secdesk.cases.actions import embargo as embargo_actions
from secdesk.cases.actions.messages import do_post_reply
from secdesk.cases.actions.reporter_link import do_reissue_reporter_link
from secdesk.cases.actions.restriction import do_restrict_case
from secdesk.cases.actions.triage import do_fix_found_faulty, do_record_triage, do_set_fact
from secdesk.errors import BadInput, NotAllowed, Refused
from secdesk.fixes.actions import do_mark_branch_not_affected, do_record_fix
from secdesk.web import cvss
from secdesk.web.case_page import member_case, render_case
from secdesk.web.decorators import member_view


def _case_step(request, case_id, panel: str, step, done: str):
    """Run `step(case, form)`; `panel` names the panel (and its anchor) the form is in."""
    case = member_case(request.person, case_id)
    try:
        step(case, request.POST)
    except NotAllowed as refused:
        return render(request, "403.html", {"reason": refused.message}, status=403)
    except Refused as refused:
        case = member_case(request.person, case_id)
        return render_case(
            request, case, errors={panel: refused.message}, posted=request.POST, status=400
        )
    messages.success(request, done)
    return redirect(reverse("case", args=[case.pk]) + f"#{panel}")


def _one_of(steps: dict):
    """A panel with several buttons: run the step the pressed button names."""

    def step(case, form):
        name = form.get("step", "")
        if name not in steps:
            raise BadInput(f"unknown step {name!r}; known: {', '.join(steps)}")
        steps[name](case, form)

    return step


@member_view
@require_POST
def reply(request, case_id):
    internal = request.POST.get("internal") == "on"

    def step(case, form):
        do_post_reply(case, body=form.get("body", ""), internal=internal, acting=request.person)

    done = "Internal note added." if internal else "Reply sent to the team and the reporter."
    return _case_step(request, case_id, "thread", step, done)


@member_view
@require_POST
def triage(request, case_id):
    def step(case, form):
        answer = form.get("security_issue", "")
        if answer not in ("yes", "no"):
            raise BadInput("say whether this is a security issue")
        do_record_triage(
            case,
            security_issue=answer == "yes",
            reasoning=form.get("reasoning", ""),
            cvss3=cvss.compose(form),
            cvss4=form.get("cvss4", "").strip(),
            acting=request.person,
        )

    return _case_step(request, case_id, "triage", step, "Triage decision recorded.")


def embargo_end(form) -> datetime:
    """The end from a datetime-local field and a zone: a time without its zone is
    refused, since it would mean a different instant to each member."""
    zone_name = form.get("zone", "")
    if zone_name not in zoneinfo.available_timezones():
        raise BadInput("the embargo end needs its time zone")
    try:
        local = datetime.fromisoformat(form.get("end", "").strip())
    except ValueError:
        raise BadInput("give the embargo end as a date and a time of day") from None
    if local.tzinfo is not None:
        raise BadInput("give the time of day and its zone separately")
    return local.replace(tzinfo=zoneinfo.ZoneInfo(zone_name))


def _days(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text)
    except ValueError:
        raise BadInput(f"{text!r} is not a number of days") from None


@member_view
@require_POST
def embargo(request, case_id):
    person = request.person

    def propose(case, form):
        days = _days(form.get("days", ""))
        end = embargo_end(form) if form.get("end", "").strip() else None
        embargo_actions.do_propose_embargo(
            case, days=days, end=end, justification=form.get("justification", ""), acting=person
        )

    steps = {
        "propose": propose,
        "accept": lambda case, form: embargo_actions.do_accept_embargo(case, acting=person),
        "reject": lambda case, form: embargo_actions.do_reject_embargo(
            case, reason=form.get("reason", ""), acting=person
        ),
        "agree": lambda case, form: embargo_actions.do_agree_embargo(
            case, reason=form.get("reason", ""), acting=person
        ),
        "object": lambda case, form: embargo_actions.do_object_embargo(
            case, reason=form.get("reason", ""), acting=person
        ),
        "restart": lambda case, form: embargo_actions.do_restart_embargo(
            case, days=_days(form.get("days", "")), acting=person
        ),
        "end": lambda case, form: embargo_actions.do_terminate_embargo(
            case, reason=form.get("reason", ""), acting=person
        ),
    }

    return _case_step(request, case_id, "embargo", _one_of(steps), "Embargo updated.")


@member_view
@require_POST
def facts(request, case_id):
    person = request.person
    steps = {
        "set": lambda case, form: do_set_fact(case, form.get("fact", ""), acting=person),
        "faulty": lambda case, form: do_fix_found_faulty(
            case, reason=form.get("reason", ""), acting=person
        ),
    }

    return _case_step(request, case_id, "facts", _one_of(steps), "Case facts updated.")


@member_view
@require_POST
def cve(request, case_id):
    person = request.person
    steps = {
        "assign": lambda case, form: do_assign_cve(
            case, cve_id=form.get("cve_id", ""), acting=person
        ),
        "next": lambda case, form: do_assign_next_cve(case, acting=person),
    }

    return _case_step(request, case_id, "fixes", _one_of(steps), "CVE id assigned.")


@member_view
@require_POST
def fixes(request, case_id):
    person = request.person
    steps = {
        "record": lambda case, form: do_record_fix(
            case,
            branch=form.get("branch", ""),
            commit=form.get("commit", ""),
            repository=form.get("repository", "").strip(),
            acting=person,
        ),
        "not-affected": lambda case, form: do_mark_branch_not_affected(
            case, branch=form.get("branch", ""), reason=form.get("reason", ""), acting=person
        ),
    }

    return _case_step(request, case_id, "fixes", _one_of(steps), "Fixes updated.")


@member_view
@require_POST
def restriction(request, case_id):
    def step(case, form):
        do_restrict_case(case, emails=form.getlist("members"), acting=request.person)

    return _case_step(request, case_id, "restriction", step, "Who sees the case was updated.")


@member_view
@require_POST
def advisory(request, case_id):
    def step(case, form):
        changes = {name: form[name] for name in ADVISORY_FIELDS if name in form}
        do_edit_advisory(case, changes, acting=request.person)

    return _case_step(request, case_id, "advisory", step, "Advisory saved.")


@member_view
@require_POST
def publish(request, case_id):
    def step(case, form):
        do_queue_publication(
            case,
            end_embargo=form.get("end_embargo") == "on",
            override_reason=form.get("override_reason", ""),
            acting=request.person,
        )

    done = "Publication queued: the worker announces it and publishes the files and CVE records."
    return _case_step(request, case_id, "publish", step, done)


@member_view
@require_POST
def amend(request, case_id):
    def step(case, form):
        do_amend_advisory(case, reason=form.get("reason", ""), acting=request.person)

    return _case_step(request, case_id, "publish", step, "Advisory amended.")


@member_view
@require_POST
def reporter_link(request, case_id):
    def step(case, form):
        do_reissue_reporter_link(case, acting=request.person)

    done = "The old private link no longer works; the reporter was mailed the new one."
    return _case_step(request, case_id, "private_link", step, done)
