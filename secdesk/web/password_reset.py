"""A forgotten password: a link by mail, then a new password. And an admin's
reset of a member's login factors, for one who lost them."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import redirect, render
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from secdesk.accounts.reset import do_mail_password_reset, do_reset_factors, do_reset_password
from secdesk.accounts.reset import reset_tokens as tokens
from secdesk.errors import Refused
from secdesk.teams.access import is_site_admin
from secdesk.teams.models import Person
from secdesk.web.decorators import member_view, public_view
from secdesk.web.log_redaction import referer_without_path
from secdesk.web.report_guard import Guarded, check_rate, count_post
from secdesk.web.throttle import client_address


class AddressForm(forms.Form):
    email = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "username"})
    )


class NewPasswordForm(forms.Form):
    new = forms.CharField(
        label="New password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


@public_view
@never_cache
@require_http_methods(["GET", "POST"])
def ask(request):
    """The same answer whether or not the address has a login here; limited per
    client address like the other public forms."""
    form = AddressForm(request.POST or None)
    if form.is_valid():
        address = client_address(request)
        try:
            check_rate(address)
        except Guarded as guarded:
            form.add_error(None, guarded.message)
        else:
            count_post(address)
            do_mail_password_reset(form.cleaned_data["email"])
            return render(request, "secdesk/password_reset_sent.html")
    return render(request, "secdesk/password_reset.html", {"form": form})


def _person(token: str) -> Person | None:
    """The person a reset link is for, if the link is still good."""
    uid, _, secret = token.partition(".")
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = get_user_model().objects.filter(pk=pk, is_active=True).first()
    person = getattr(user, "person", None) if user else None
    if person is None or not tokens.check_token(user, secret):
        return None
    return person


@public_view
@never_cache
@require_http_methods(["GET", "POST"])
@referer_without_path
def choose(request, token):
    person = _person(token)
    if person is None:
        return render(request, "secdesk/password_reset_refused.html", status=410)
    form = NewPasswordForm(request.POST or None)
    if form.is_valid():
        try:
            do_reset_password(person, form.cleaned_data["new"])
            messages.success(request, "Password saved: log in with it.")
            return redirect("login")
        except Refused as refused:
            form.add_error("new", refused.message)
    return render(request, "secdesk/password_reset_choose.html", {"form": form})


@member_view
@require_http_methods(["GET", "POST"])
def reset_factors(request):
    """A site admin resets a member's login factors; anyone else is told no."""
    if not is_site_admin(request.person):
        return render(request, "secdesk/reset_factors.html", {"allowed": False}, status=403)
    form = AddressForm(request.POST or None)
    if form.is_valid():
        person = Person.objects.filter(email__iexact=form.cleaned_data["email"]).first()
        try:
            if person is None:
                raise Refused(f"no person with address {form.cleaned_data['email']}")
            do_reset_factors(person, acting=request.person)
            messages.success(request, f"The login factors of {person.email} were reset.")
            return redirect("reset_factors")
        except Refused as refused:
            form.add_error("email", refused.message)
    return render(request, "secdesk/reset_factors.html", {"allowed": True, "form": form})
