"""The second factor, asked of everyone who may see embargoed material: a code
from an authenticator app (set up from a QR code), a passkey, or a one-time
recovery code in place of either."""

import base64
import math

import segno
from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from secdesk.accounts.factors import do_confirm_totp, do_use_recovery_code, recovery_codes_left
from secdesk.teams.models import Passkey
from secdesk.web.account_page import fresh_login, stale_login
from secdesk.web.decorators import login_view


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class RecoveryForm(forms.Form):
    recovery_code = forms.CharField(
        label="Recovery code",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


def next_page(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


def code_refusal(device: TOTPDevice, code: str) -> str | None:
    """Why `device` does not take `code` now, or None when it took it. A device
    waits a moment after a wrong code (1 s, then 2, 4, …): a right code sent in
    that moment is refused for the wait, and the answer says so."""
    allowed, why = device.verify_is_allowed()
    if not allowed:
        wait = max(1, math.ceil((why["locked_until"] - timezone.now()).total_seconds()))
        seconds = "1 second" if wait == 1 else f"{wait} seconds"
        return f"Too many wrong codes in a row: wait {seconds}, then enter the current code."
    if device.verify_token(code.strip()):
        return None
    return "That code is not right. Codes change every 30 seconds; check your device's clock."


def qr_code(uri: str) -> str:
    """The otpauth URI as a QR code, an SVG data: URI (the CSP allows data: images)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4)


def _context(request, form, recovery=None) -> dict:
    person = request.person
    return {
        "form": form,
        "recovery": recovery or RecoveryForm(),
        "next": next_page(request),
        "totp": TOTPDevice.objects.filter(user=request.user, confirmed=True).exists(),
        "passkeys": Passkey.objects.filter(user=request.user).exists(),
        "recovery_left": recovery_codes_left(person) if person else None,
    }


@login_view
@require_http_methods(["GET", "POST"])
def second_factor(request):
    """Pass the second factor with the authenticator app, or set one up: the first
    time (unless a passkey stands in for it), or in place of the old one."""
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    form = CodeForm(request.POST or None)
    # Someone with a factor sets up an app (another, or on a new phone) only once
    # past the second factor: else a password alone would add one of their choosing;
    # and only soon after logging in, as for a passkey.
    adding = request.GET.get("setup") and request.user.is_verified()
    if adding and not fresh_login(request):
        messages.error(request, stale_login("Moving the authenticator app"))
        adding = False
    has_passkey = Passkey.objects.filter(user=request.user).exists()
    if (confirmed is not None or has_passkey) and not adding:
        if confirmed is not None and form.is_valid():
            refusal = code_refusal(confirmed, form.cleaned_data["code"])
            if refusal is None:
                otp_login(request, confirmed)
                return redirect(next_page(request))
            form.add_error("code", refusal)
        return render(request, "secdesk/second_factor.html", _context(request, form))
    return _set_up_totp(request, form)


def _set_up_totp(request, form):
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="authenticator", confirmed=False)
    if form.is_valid():
        refusal = code_refusal(device, form.cleaned_data["code"])
        if refusal is None:
            do_confirm_totp(device, acting=request.person)
            otp_login(request, device)
            return redirect(next_page(request))
        form.add_error("code", refusal)
    context = {
        **_context(request, form),
        "secret": base64.b32encode(device.bin_key).decode(),
        "uri": device.config_url,
        "qr": qr_code(device.config_url),
    }
    return render(request, "secdesk/second_factor_setup.html", context)


@login_view
@require_POST
def recovery_code(request):
    """A recovery code in place of the second factor; each works once."""
    form = RecoveryForm(request.POST)
    if form.is_valid() and request.person is not None:
        device = do_use_recovery_code(request.person, form.cleaned_data["recovery_code"])
        if device is not None:
            otp_login(request, device)
            return redirect(next_page(request))
    form.add_error("recovery_code", "That recovery code is not one of yours, or was used already.")
    # The page again, with the reason, as for any form sent with a mistake.
    return render(request, "secdesk/second_factor.html", _context(request, CodeForm(), form))
