"""Personal API tokens and OpenPGP keys."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from secdesk.errors import Refused
from secdesk.teams.keys import (
    do_add_member_key,
    do_remove_member_key,
    do_replace_member_key,
    live_keys,
)
from secdesk.teams.models import ApiToken
from secdesk.teams.tokens import do_create_api_token, do_revoke_api_token
from secdesk.web.decorators import member_view


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
