"""The reporter's private page: their case's status and its thread, through the
unguessable link in every mail they get from the team. No account needed."""

from django.http import Http404
from django.shortcuts import render

from secdesk.teams.access import case_for_reporter
from secdesk.web.decorators import public_view


@public_view
def reporter_case(request, token):
    case = case_for_reporter(token)
    if case is None:
        raise Http404("no such case")
    thread = case.messages.filter(internal=False).select_related("author")
    response = render(request, "secdesk/reporter_case.html", {"case": case, "thread": thread})
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
