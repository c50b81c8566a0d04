from django import forms
from django.contrib.auth import login
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from secdesk.teams.login_links import LinkRefused, redeem_login_link, usable_login_link
from secdesk.web.decorators import public_view
from secdesk.web.log_redaction import referer_without_path
from secdesk.web.throttle import client_address, is_throttled


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
