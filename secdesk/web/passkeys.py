"""The browser's side of passkeys: JSON for static/secdesk/passkeys.js, which
calls navigator.credentials. Each ceremony is two requests: the options (with a
challenge kept in the session), then the browser's answer to them."""

import base64

from django.contrib.auth import login
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from secdesk.accounts.passkeys import (
    authentication_options,
    do_add_passkey,
    passkey_login,
    registration_options,
)
from secdesk.errors import Refused
from secdesk.web.account_page import fresh_login, stale_login
from secdesk.web.decorators import login_view, member_view, public_view
from secdesk.web.second_factor import next_page

_CHALLENGE = "secdesk_passkey_challenge"


def _options(request, purpose: str, options: tuple[str, bytes]) -> JsonResponse:
    text, challenge = options
    request.session[_CHALLENGE] = [purpose, base64.b64encode(challenge).decode()]
    return JsonResponse({"options": text})


def _challenge(request, purpose: str) -> bytes:
    """The challenge the options of this ceremony gave; each is answered once."""
    kept = request.session.pop(_CHALLENGE, None)
    if not kept or kept[0] != purpose:
        raise Refused("the passkey request ran out; try again")
    return base64.b64decode(kept[1])


def _answer(request, purpose: str, person):
    """The passkey that answered this ceremony's challenge (see passkey_login)."""
    credential = request.POST.get("credential", "")
    return passkey_login(credential, _challenge(request, purpose), person=person)


def _refused(refused: Refused) -> JsonResponse:
    return JsonResponse({"error": refused.message}, status=400)


@public_view
@never_cache
@require_POST
def login_options(request):
    return _options(request, "login", authentication_options(None))


@public_view
@never_cache
@require_POST
def login_with_passkey(request):
    """A passkey alone logs in: the authenticator verified its holder (a PIN, a
    fingerprint), so it counts as both factors."""
    try:
        passkey = _answer(request, "login", None)
    except Refused as refused:
        return _refused(refused)
    login(request, passkey.user, backend="django.contrib.auth.backends.ModelBackend")
    otp_login(request, passkey)
    return JsonResponse({"next": next_page(request)})


@login_view
@require_POST
def verify_options(request):
    if request.person is None:
        return _refused(Refused("this login has no person behind it"))
    return _options(request, "verify", authentication_options(request.person))


@login_view
@require_POST
def verify(request):
    """A passkey as the second factor, after a password or a login link."""
    try:
        passkey = _answer(request, "verify", request.person)
    except Refused as refused:
        return _refused(refused)
    otp_login(request, passkey)
    return JsonResponse({"next": next_page(request)})


def _stale(request) -> JsonResponse | None:
    """A passkey logs in by itself and outlives a password change, so only a
    recent login may add one: not a session left open, or taken, long ago."""
    if fresh_login(request):
        return None
    return _refused(Refused(stale_login("Adding a passkey")))


@member_view
@require_POST
def register_options(request):
    if request.person is None:
        return _refused(Refused("this login has no person behind it"))
    return _stale(request) or _options(request, "register", registration_options(request.person))


@member_view
@require_POST
def register(request):
    if stale := _stale(request):
        return stale
    try:
        do_add_passkey(
            request.POST.get("name", ""),
            request.POST.get("credential", ""),
            _challenge(request, "register"),
            acting=request.person,
        )
    except Refused as refused:
        return _refused(refused)
    return JsonResponse({"next": reverse("account")})
