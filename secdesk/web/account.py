"""The second factor (TOTP), personal API tokens and OpenPGP keys."""

import base64

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.errors import Refused
from secdesk.teams.keys import (
    do_add_member_key,
    do_remove_member_key,
    do_replace_member_key,
    live_keys,
)
from secdesk.teams.models import ApiToken
from secdesk.teams.tokens import do_create_api_token, do_revoke_api_token
from secdesk.web.decorators import login_view, member_view


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next(request):
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


@login_view
@require_http_methods(["GET", "POST"])
def second_factor(request):
    """Set up a TOTP device (the first time), or pass the second factor with one."""
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    form = CodeForm(request.POST or None)
    if confirmed is not None:
        if form.is_valid() and confirmed.verify_token(form.cleaned_data["code"].strip()):
            otp_login(request, confirmed)
            return redirect(_next(request))
        if form.is_bound:
            form.add_error("code", _wrong_code_text(confirmed))
        return render(request, "secdesk/second_factor.html", {"form": form, "next": _next(request)})

    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="authenticator", confirmed=False)
    if form.is_valid() and device.verify_token(form.cleaned_data["code"].strip()):
        with transaction.atomic():
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            record(request.person, AuditEvent.SECOND_FACTOR_ADDED, kind="totp")
        otp_login(request, device)
        return redirect(_next(request))
    if form.is_bound:
        form.add_error("code", _wrong_code_text(device))
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "secdesk/second_factor_setup.html",
        {
            "form": form,
            "next": _next(request),
            "secret": secret,
            "uri": device.config_url,
        },
    )


def _wrong_code_text(device) -> str:
    allowed, _ = device.verify_is_allowed()
    # One miss only asks for a short pause; say "wait" once it is several.
    if not allowed and device.throttling_failure_count >= 3:
        return "Too many wrong codes: wait a few seconds, then enter the current code."
    return "That code is not right. Codes change every 30 seconds; check your device's clock."


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="What uses it")
    scope = forms.ChoiceField(choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ)


@member_view
@require_http_methods(["GET", "POST"])
def tokens(request):
    form = TokenForm(request.POST or None)
    raw = None
    if request.person is None:
        form = None
    elif form.is_valid():
        try:
            _, raw = do_create_api_token(
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                acting=request.person,
            )
            form = TokenForm()
        except Refused as refused:
            form.add_error(None, refused.message)
    listed = ApiToken.objects.filter(person=request.person) if request.person else []
    return render(request, "secdesk/tokens.html", {"form": form, "tokens": listed, "raw": raw})


@member_view
@require_POST
def revoke_token(request, prefix):
    try:
        do_revoke_api_token(prefix=prefix, acting=request.person)
        messages.success(request, f"Token {prefix}… revoked.")
    except Refused as refused:
        messages.error(request, refused.message)
    return redirect("tokens")


class KeyForm(forms.Form):
    armoured = forms.CharField(
        label="Public key (ASCII-armoured, as gpg --armor --export gives it)",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )
    replaces = forms.ChoiceField(label="In place of", required=False)

    def __init__(self, data=None, *, person):
        super().__init__(data)
        self.fields["replaces"].choices = [("", "none: add it beside the others")] + [
            (k.fingerprint, k.fingerprint) for k in live_keys(person)
        ]


@member_view
@require_http_methods(["GET", "POST"])
def keys(request):
    """The OpenPGP keys that make signed mail the person's own."""
    person = request.person
    form = KeyForm(request.POST or None, person=person) if person else None
    if form is not None and form.is_valid():
        armoured, replaces = form.cleaned_data["armoured"], form.cleaned_data["replaces"]
        try:
            if replaces:
                key = do_replace_member_key(replaces, armoured, acting=person)
                messages.success(request, f"Key {replaces} replaced by {key.fingerprint}.")
            else:
                key = do_add_member_key(armoured, acting=person)
                messages.success(request, f"Key {key.fingerprint} added.")
            return redirect("keys")
        except Refused as refused:
            form.add_error("armoured", refused.message)
    listed = live_keys(person) if person else []
    return render(request, "secdesk/keys.html", {"form": form, "keys": listed})


@member_view
@require_POST
def remove_key(request, fingerprint):
    try:
        do_remove_member_key(fingerprint, acting=request.person)
        messages.success(request, f"Key {fingerprint} removed.")
    except Refused as refused:
        messages.error(request, refused.message)
    return redirect("keys")
