"""The account page: the password, the authenticator, passkeys and recovery
codes a person logs in with."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from secdesk.accounts.factors import do_make_recovery_codes, do_set_password, recovery_codes_left
from secdesk.accounts.passkeys import do_remove_passkey, do_rename_passkey
from secdesk.errors import Refused
from secdesk.teams.access import is_site_admin
from secdesk.teams.models import Passkey
from secdesk.web.decorators import member_view

# Within this long of logging in, a password may be set without the current one:
# whoever just logged in (by link, passkey or password) has shown who they are.
FRESH_LOGIN = timedelta(minutes=10)
_LOGGED_IN_AT = "secdesk_logged_in_at"


@receiver(user_logged_in)
def remember_login_time(sender, request, user, **kwargs):
    request.session[_LOGGED_IN_AT] = timezone.now().timestamp()


def fresh_login(request) -> bool:
    at = request.session.get(_LOGGED_IN_AT)
    return at is not None and timezone.now().timestamp() - at < FRESH_LOGIN.total_seconds()


def stale_login(what: str) -> str:
    """The refusal for a step that gives its taker a way in of their own (a
    passkey, an authenticator, recovery codes): not for a session left open, or
    taken, long ago."""
    minutes = int(FRESH_LOGIN.total_seconds() // 60)
    return (
        f"{what} needs a recent login: log out and in again, then do it within {minutes} minutes."
    )


class PasswordForm(forms.Form):
    current = forms.CharField(
        label="Current password",
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new = forms.CharField(
        label="New password",
        min_length=1,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, data=None, *, request):
        super().__init__(data)
        self.user = request.user
        self.needs_current = request.user.has_usable_password() and not fresh_login(request)

    def clean_current(self):
        current = self.cleaned_data["current"]
        if self.needs_current and not self.user.check_password(current):
            raise forms.ValidationError("That is not your current password.")
        return current


def _page(request, password_form, codes=None):
    user = request.user
    context = {
        "password_form": password_form,
        "has_password": user.has_usable_password(),
        "totp": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        "passkeys": Passkey.objects.filter(user=user),
        "recovery_left": recovery_codes_left(request.person),
        "new_codes": codes,
        "site_admin": is_site_admin(request.person),
    }
    return render(request, "secdesk/account.html", context)


@member_view
@require_http_methods(["GET"])
def account(request):
    if request.person is None:
        return redirect("dashboard")
    return _page(request, PasswordForm(request=request))


@member_view
@require_POST
def password(request):
    form = PasswordForm(request.POST, request=request)
    if request.person is not None and form.is_valid():
        try:
            do_set_password(
                request.person, form.cleaned_data["new"], acting=request.person, how="chosen"
            )
            # This session goes on; every other one of theirs ends.
            update_session_auth_hash(request, request.user)
            messages.success(request, "Password saved.")
            return redirect("account")
        except Refused as refused:
            form.add_error("new", refused.message)
    return _page(request, form)


@member_view
@require_POST
def recovery_codes(request):
    """New recovery codes, in place of the old: shown on this page once."""
    if request.person is None:
        return redirect("dashboard")
    if not fresh_login(request):
        messages.error(request, stale_login("Making recovery codes"))
        return redirect("account")
    codes = do_make_recovery_codes(acting=request.person)
    return _page(request, PasswordForm(request=request), codes=codes)


@member_view
@require_POST
def rename_passkey(request, pk):
    try:
        do_rename_passkey(pk, request.POST.get("name", ""), acting=request.person)
        messages.success(request, "Passkey renamed.")
    except Refused as refused:
        messages.error(request, refused.message)
    return redirect("account")


@member_view
@require_POST
def remove_passkey(request, pk):
    try:
        do_remove_passkey(pk, acting=request.person)
        messages.success(request, "Passkey removed.")
    except Refused as refused:
        messages.error(request, refused.message)
    return redirect("account")
