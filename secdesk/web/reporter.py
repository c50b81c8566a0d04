"""The reporter's private page: their case's status and its thread, through the
unguessable link in the mail they get from the team (and only in theirs). No
account needed: the link is the reporter's authentication, and an admin can
revoke it by issuing a new one."""

from django import forms
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from secdesk.cases.access import capability_holder
from secdesk.cases.models import Capability
from secdesk.errors import Refused
from secdesk.mail.posts import do_post_reporter_reply
from secdesk.web.case_glance import MESSAGES_PER_PAGE, latest_page
from secdesk.web.decorators import public_view
from secdesk.web.log_redaction import referer_without_path

# Long enough for any answer with its logs; a larger one belongs in a mail.
MAX_REPLY = 100_000


class ReporterReplyForm(forms.Form):
    body = forms.CharField(
        required=False,
        strip=False,
        max_length=MAX_REPLY,
        error_messages={
            "max_length": f"your answer is longer than {MAX_REPLY:,} characters; mail it"
        },
    )


@public_view
@require_http_methods(["GET", "POST"])
@referer_without_path
def reporter_case(request, token):
    link = capability_holder(token, Capability.Kind.LINK)
    if link is None:
        raise Http404("no such case")
    case = link.case
    error, status = "", 200
    if request.method == "POST":
        form = ReporterReplyForm(request.POST)
        try:
            if not form.is_valid():
                raise Refused(form.errors["body"][0])
            do_post_reporter_reply(case, body=form.cleaned_data["body"])
        except Refused as refused:
            error, status = refused.message, 400
        else:
            return redirect("reporter_case", token=link.token)
    thread = latest_page(
        case.messages.filter(internal=False).select_related("author"),
        MESSAGES_PER_PAGE,
        request.GET.get("page"),
    )
    response = render(
        request,
        "secdesk/reporter_case.html",
        {"case": case, "thread": thread, "error": error, "posted": request.POST},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
