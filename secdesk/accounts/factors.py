"""What a person logs in with besides a one-time link: a password, a TOTP
authenticator, and one-time recovery codes. Passkeys are in accounts/passkeys.py,
a password reset by mail and an admin's reset of all of them in
accounts/reset.py."""

import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.errors import BadInput
from secdesk.teams.models import Person, RecoveryCode, RecoveryCodes

RECOVERY_CODES = 10
# Without 0, 1, 8 and 9's look-alikes: a code is read off paper and typed.
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def check_password_rules(password: str, person: Person) -> None:
    """Django's password validators (settings.AUTH_PASSWORD_VALIDATORS), as one refusal."""
    try:
        validate_password(password, person.user)
    except ValidationError as err:
        raise BadInput(" ".join(err.messages)) from None


def do_set_password(person: Person, password: str, *, acting: Person | None, how: str) -> None:
    """Set `person`'s password (argon2, the first of PASSWORD_HASHERS). `how` says
    for the audit trail whether they chose it on the account page or by a reset
    mail. Every other session of theirs ends: Django ties a session to the
    password hash it began with."""
    check_password_rules(password, person)
    with transaction.atomic(durable=True):
        person.user.set_password(password)
        person.user.save(update_fields=["password"])
        record(acting, AuditEvent.PASSWORD_SET, person=person.email, how=how)


def do_confirm_totp(device, *, acting: Person) -> None:
    """The authenticator app gave a right code: from now on it is asked for, in
    place of any app set up before (a new phone replaces the old)."""
    with transaction.atomic(durable=True):
        replaced, _ = TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record(acting, AuditEvent.SECOND_FACTOR_ADDED, kind="totp", replaced=replaced > 0)


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normal(code: str) -> str:
    """A code as typed, in its stored form: case, spaces and dashes do not matter."""
    return "".join(code.lower().split()).replace("-", "")


def _new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(10))


def shown(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def do_make_recovery_codes(*, acting: Person) -> list[str]:
    """Ten new recovery codes for the acting person, in place of any they had;
    returned once, to be shown once, and stored only as hashes."""
    codes = [_new_code() for _ in range(RECOVERY_CODES)]
    with transaction.atomic(durable=True):
        RecoveryCodes.objects.filter(user=acting.user).delete()
        device = RecoveryCodes.objects.create(user=acting.user, name="recovery codes")
        RecoveryCode.objects.bulk_create(
            RecoveryCode(codes=device, code_hash=_code_hash(code)) for code in codes
        )
        record(acting, AuditEvent.RECOVERY_CODES_MADE, count=len(codes))
    return [shown(code) for code in codes]


def recovery_codes_left(person: Person) -> int | None:
    """How many unused codes `person` has, or None if they never made any."""
    device = RecoveryCodes.objects.filter(user=person.user).first()
    if device is None:
        return None
    return device.codes.filter(used_at__isnull=True).count()


def do_use_recovery_code(person: Person, code: str) -> RecoveryCodes | None:
    """Use up one of `person`'s recovery codes in place of the second factor: the
    device to pass it with, or None for a code that is not one of theirs, or
    was used already."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        device = RecoveryCodes.objects.filter(user=person.user).first()
        if device is None:
            return None
        # Conditional, so that two requests with one code cannot both pass.
        used = device.codes.filter(
            code_hash=_code_hash(_normal(code)), used_at__isnull=True
        ).update(used_at=now)
        if not used:
            return None
        left = device.codes.filter(used_at__isnull=True).count()
        record(person, AuditEvent.RECOVERY_CODE_USED, left=left)
    return device
