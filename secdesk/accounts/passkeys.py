"""Passkeys (WebAuthn), through py_webauthn: registering one, and logging in
with one, as the second factor or (with user verification) by itself.

The relying party is the site address (SECDESK_SITE_URL): its host is the RP
id, the address itself the only origin accepted. A browser refuses an IP
address as RP id, so passkeys need the site to be reached by name (localhost
will do on one machine).
"""

import json
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.errors import BadInput, NotAllowed, NotFound
from secdesk.teams.access import is_site_admin, is_team_member
from secdesk.teams.models import Passkey, Person

NAME_LENGTH = 100


def _rp_id() -> str:
    return urlsplit(settings.SITE_URL).hostname


def _descriptors(person: Person) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=base64url_to_bytes(key.credential_id))
        for key in Passkey.objects.filter(user=person.user)
    ]


def registration_options(person: Person) -> tuple[str, bytes]:
    """What the browser's navigator.credentials.create() needs (JSON), and the
    challenge to keep in the session. The credential is discoverable (resident),
    so that it can log in without the address being typed."""
    options = generate_registration_options(
        rp_id=_rp_id(),
        rp_name="secdesk",
        user_name=person.email,
        user_id=str(person.user.pk).encode(),
        user_display_name=person.name or person.email,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(person),
    )
    return options_to_json(options), options.challenge


def authentication_options(person: Person | None) -> tuple[str, bytes]:
    """Options for navigator.credentials.get(): for `person`'s second factor, their
    own credentials; with no person (a login by passkey alone), any discoverable
    credential, and the authenticator must verify who holds it."""
    options = generate_authentication_options(
        rp_id=_rp_id(),
        allow_credentials=_descriptors(person) if person else None,
        user_verification=UserVerificationRequirement.PREFERRED
        if person
        else UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options), options.challenge


def _credential(text: str) -> dict:
    try:
        credential = json.loads(text)
    except ValueError:
        credential = None
    if not isinstance(credential, dict) or not isinstance(credential.get("id"), str):
        raise BadInput("the browser's answer was not a passkey credential")
    return credential


def do_add_passkey(name: str, credential: str, challenge: bytes, *, acting: Person) -> Passkey:
    """Register the credential the browser created for the acting person."""
    name = " ".join(name.split())[:NAME_LENGTH] or "passkey"
    try:
        verified = verify_registration_response(
            credential=_credential(credential),
            expected_challenge=challenge,
            expected_rp_id=_rp_id(),
            expected_origin=settings.SITE_URL,
        )
    except WebAuthnException as err:
        raise BadInput(f"the passkey could not be registered: {err}") from None
    with transaction.atomic(durable=True):
        passkey = Passkey.objects.create(
            user=acting.user,
            name=name,
            credential_id=bytes_to_base64url(verified.credential_id),
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=_credential(credential).get("response", {}).get("transports") or [],
            created_at=timezone.now(),
        )
        record(acting, AuditEvent.PASSKEY_ADDED, passkey=name)
    return passkey


def passkey_login(credential: str, challenge: bytes, *, person: Person | None) -> Passkey:
    """The passkey that answered the challenge, with its counter moved on. For a
    second factor, `person` is who passed the first; with none, the
    authenticator must have verified its holder (a login by passkey alone)."""
    answer = _credential(credential)
    passkey = (
        Passkey.objects.select_related("user__person")
        .filter(credential_id=answer["id"], user__is_active=True)
        .first()
    )
    if passkey is None or (person is not None and passkey.user_id != person.user_id):
        raise NotFound("that passkey is not registered here")
    try:
        verified = verify_authentication_response(
            credential=answer,
            expected_challenge=challenge,
            expected_rp_id=_rp_id(),
            expected_origin=settings.SITE_URL,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=person is None,
        )
    except WebAuthnException as err:
        raise BadInput(f"the passkey was not accepted: {err}") from None
    # The counter is the authenticator's own bookkeeping, as a TOTP device's
    # last used step is: a login is not an action on the account.
    Passkey.objects.filter(pk=passkey.pk).update(
        sign_count=verified.new_sign_count, last_used_at=timezone.now()
    )
    return passkey


def _own(person: Person, pk: int) -> Passkey:
    passkey = Passkey.objects.filter(user=person.user, pk=pk).first()
    if passkey is None:
        raise NotFound(f"no passkey #{pk} of {person.email}")
    return passkey


def do_rename_passkey(pk: int, name: str, *, acting: Person) -> Passkey:
    name = " ".join(name.split())[:NAME_LENGTH]
    if not name:
        raise BadInput("name the passkey, e.g. after the device that holds it")
    with transaction.atomic(durable=True):
        passkey = _own(acting, pk)
        before, passkey.name = passkey.name, name
        passkey.save(update_fields=["name"])
        record(acting, AuditEvent.PASSKEY_RENAMED, before=before, passkey=name)
    return passkey


def do_remove_passkey(pk: int, *, acting: Person) -> None:
    """Remove one of the acting person's passkeys, but not the last second factor
    of someone who must have one: their next login by password alone would set
    up an authenticator app of its own choosing."""
    with transaction.atomic(durable=True):
        passkey = _own(acting, pk)
        others = Passkey.objects.filter(user=acting.user).exclude(pk=pk).exists()
        app = TOTPDevice.objects.filter(user=acting.user, confirmed=True).exists()
        if not (others or app) and (is_team_member(acting) or is_site_admin(acting)):
            raise NotAllowed(
                "that passkey is your only second factor: set up an authenticator app "
                "or add another passkey first"
            )
        passkey.delete()
        record(acting, AuditEvent.PASSKEY_REMOVED, passkey=passkey.name)
