"""The forms of the case page. Each view checks the input, hands the step to its
action function and goes back to the case page: to the panel it came from when
the step was done, or with the refusal shown in that panel when it was not.

Plain forms that post and redirect, so every step works without JavaScript;
with htmx a form swaps only its own panel (see templates/secdesk/case/).
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from secdesk.advisories.actions import (
    do_assign_cve,
    do_assign_next_cve,
    do_edit_advisory,
)
from secdesk.advisories.publication import do_queue_publication
from secdesk.advisories.revisions import do_amend_advisory
from secdesk.cases.actions import embargo as embargo_actions
from secdesk.cases.actions.reporter_link import do_reissue_reporter_link
from secdesk.cases.actions.reports import REPORT_MOVES
from secdesk.cases.actions.restriction import do_restrict_case
from secdesk.cases.actions.triage import do_fix_found_faulty, do_record_triage, do_set_fact
from secdesk.errors import NotAllowed, Refused
from secdesk.fixes.actions import do_mark_branch_not_affected, do_record_fix
from secdesk.mail.posts import do_post_reply
from secdesk.web import case_forms as forms
from secdesk.web.case_page import member_case, render_case
from secdesk.web.decorators import member_view


def _case_step(request, ref, panel: str, form_class, step, done: str):
    """Parse the posted `form_class`, then run `step(case, data)`; `panel` names
    the panel (and its anchor) the form is in."""
    case = member_case(request.person, ref)
    try:
        step(case, form_class(request.POST).parsed())
    except NotAllowed as refused:
        return render(request, "403.html", {"reason": refused.message}, status=403)
    except Refused as refused:
        case = member_case(request.person, ref)
        return render_case(
            request, case, errors={panel: refused.message}, posted=request.POST, status=400
        )
    messages.success(request, done)
    return redirect(reverse("case", args=[case]) + f"#{panel}")


def _one_of(steps: dict):
    """A panel with several buttons: run the step the pressed button names
    (the panel's form knows the names)."""

    def step(case, data):
        steps[data["step"]](case, data)

    return step


@member_view
@require_POST
def move(request, ref):
    def step(case, data):
        REPORT_MOVES[data["step"]].run(case, acting=request.person, reason=data["reason"])

    return _case_step(request, ref, "report", forms.MoveForm, step, "Report state changed.")


@member_view
@require_POST
def reply(request, ref):
    internal = request.POST.get("internal") == "on"

    def step(case, data):
        do_post_reply(case, body=data["body"], internal=data["internal"], acting=request.person)

    done = "Internal note added." if internal else "Reply sent to the team and the reporter."
    return _case_step(request, ref, "thread", forms.ReplyForm, step, done)


@member_view
@require_POST
def triage(request, ref):
    def step(case, data):
        do_record_triage(
            case,
            security_issue=data["security_issue"] == "yes",
            reasoning=data["reasoning"],
            cvss3=data["cvss3"],
            cvss4=data["cvss4"].strip(),
            acting=request.person,
        )

    done = "Triage decision recorded."
    return _case_step(request, ref, "triage", forms.TriageForm, step, done)


@member_view
@require_POST
def embargo(request, ref):
    person = request.person
    steps = {
        "propose": lambda case, data: embargo_actions.do_propose_embargo(
            case,
            days=data["days"],
            end=data["end"],
            justification=data["justification"],
            acting=person,
        ),
        "accept": lambda case, data: embargo_actions.do_accept_embargo(case, acting=person),
        "reject": lambda case, data: embargo_actions.do_reject_embargo(
            case, reason=data["reason"], acting=person
        ),
        "agree": lambda case, data: embargo_actions.do_agree_embargo(
            case, reason=data["reason"], acting=person
        ),
        "object": lambda case, data: embargo_actions.do_object_embargo(
            case, reason=data["reason"], acting=person
        ),
        "restart": lambda case, data: embargo_actions.do_restart_embargo(
            case, days=data["days"], acting=person
        ),
        "end": lambda case, data: embargo_actions.do_terminate_embargo(
            case, reason=data["reason"], acting=person
        ),
    }
    step = _one_of(steps)
    return _case_step(request, ref, "embargo", forms.EmbargoForm, step, "Embargo updated.")


@member_view
@require_POST
def facts(request, ref):
    person = request.person
    steps = {
        "set": lambda case, data: do_set_fact(case, data["fact"], acting=person),
        "faulty": lambda case, data: do_fix_found_faulty(
            case, reason=data["reason"], acting=person
        ),
    }
    step = _one_of(steps)
    return _case_step(request, ref, "facts", forms.FactsForm, step, "Case facts updated.")


@member_view
@require_POST
def cve(request, ref):
    person = request.person
    steps = {
        "assign": lambda case, data: do_assign_cve(case, cve_id=data["cve_id"], acting=person),
        "next": lambda case, data: do_assign_next_cve(case, acting=person),
    }
    step = _one_of(steps)
    return _case_step(request, ref, "fixes", forms.CveForm, step, "CVE id assigned.")


@member_view
@require_POST
def fixes(request, ref):
    person = request.person
    steps = {
        "record": lambda case, data: do_record_fix(
            case,
            branch=data["branch"],
            commit=data["commit"],
            repository=data["repository"],
            acting=person,
        ),
        "not-affected": lambda case, data: do_mark_branch_not_affected(
            case, branch=data["branch"], reason=data["reason"], acting=person
        ),
    }
    step = _one_of(steps)
    return _case_step(request, ref, "fixes", forms.FixesForm, step, "Fixes updated.")


@member_view
@require_POST
def restriction(request, ref):
    def step(case, data):
        do_restrict_case(case, emails=data["members"] or [], acting=request.person)

    done = "Who sees the case was updated."
    return _case_step(request, ref, "restriction", forms.RestrictionForm, step, done)


@member_view
@require_POST
def advisory(request, ref):
    def step(case, data):
        do_edit_advisory(case, data["changes"], acting=request.person)

    done = "Advisory saved."
    return _case_step(request, ref, "advisory", forms.AdvisoryForm, step, done)


@member_view
@require_POST
def publish(request, ref):
    def step(case, data):
        do_queue_publication(
            case,
            end_embargo=data["end_embargo"],
            override_reason=data["override_reason"],
            acting=request.person,
        )

    done = "Publication queued: the worker announces it and publishes the files and CVE records."
    return _case_step(request, ref, "publish", forms.PublishForm, step, done)


@member_view
@require_POST
def amend(request, ref):
    def step(case, data):
        do_amend_advisory(case, reason=data["reason"], acting=request.person)

    done = "Advisory amended."
    return _case_step(request, ref, "publish", forms.AmendForm, step, done)


@member_view
@require_POST
def reporter_link(request, ref):
    def step(case, data):
        do_reissue_reporter_link(case, acting=request.person)

    done = "The old private link no longer works; the reporter was mailed the new one."
    return _case_step(request, ref, "private_link", forms.CaseForm, step, done)
