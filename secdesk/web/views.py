from dataclasses import dataclass

from django import forms
from django.contrib.auth import login
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from secdesk.cases.access import visible_case, visible_cases
from secdesk.cases.models import Case, Embargo, ReportState
from secdesk.errors import NotFound, Refused
from secdesk.teams.login_links import LinkRefused, redeem_login_link, usable_login_link
from secdesk.web.clock import EmbargoClock, embargo_clock
from secdesk.web.decorators import member_view, public_view
from secdesk.web.log_redaction import referer_without_path
from secdesk.web.needs_me import needs_me
from secdesk.web.throttle import client_address, is_throttled

# The dashboard lists cases in the order a report moves through its life.
STATE_ORDER = [
    ReportState.RECEIVED,
    ReportState.HELD,
    ReportState.VALID,
    ReportState.ACCEPTED,
    ReportState.DEFERRED,
    ReportState.INVALID,
    ReportState.CLOSED,
]


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form; a member's username is their email address. Throttled:
    past the allowed failures, even the right password is refused for a while."""

    username = forms.CharField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if is_throttled(username, client_address(self.request)):
            raise forms.ValidationError(
                "Too many failed logins. Wait a quarter of an hour and try again.",
                code="throttled",
            )
        return super().clean()


@dataclass(frozen=True)
class CaseLine:
    case: Case
    embargo: Embargo | None
    clock: EmbargoClock | None


@public_view
@never_cache
@require_http_methods(["GET", "POST"])
@referer_without_path
def login_once(request, token):
    """A one-time login link. Opening it only asks for a click: mail scanners and
    link previews fetch URLs, and must not use the link up."""
    try:
        link = usable_login_link(token)
        if request.method == "POST":
            user = redeem_login_link(token)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("dashboard")
    except LinkRefused as refused:
        status = 404 if refused.reason == "unknown" else 410
        return render(
            request, "secdesk/login_once_refused.html", {"refused": refused}, status=status
        )
    return render(request, "secdesk/login_once.html", {"link": link})


@member_view
def dashboard(request):
    """The cases by state; `?case=example#8` (its box at the top) opens that case."""
    asked = request.GET.get("case", "").strip()
    if asked:
        try:
            return redirect("case", visible_case(request.person, asked))
        except NotFound as missing:
            return _dashboard(request, refusal=missing.message, status=404)
        except Refused as refused:
            return _dashboard(request, refusal=refused.message, status=400)
    return _dashboard(request)


def _dashboard(request, *, refusal="", status=200):
    now = timezone.now()
    cases = visible_cases(request.person).select_related("project", "embargo")
    by_state = {state: [] for state in STATE_ORDER}
    for case in cases:
        embargo = getattr(case, "embargo", None)
        by_state[case.state].append(CaseLine(case, embargo, embargo_clock(embargo, now)))
    groups = [(ReportState(state).label, lines) for state, lines in by_state.items() if lines]
    return render(
        request,
        "secdesk/dashboard.html",
        {"groups": groups, "needs": needs_me(request.person, now), "refusal": refusal},
        status=status,
    )
