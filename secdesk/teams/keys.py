"""Members' OpenPGP keys, and the signatures that made mail a member's.

A member binds public keys to themselves (several if they like); mail signed
as a whole by one of them is theirs — if it was signed recently (the policy's
`signature_max_age_days`), while the key was valid, and the signature has not
come before with another message (a replay).
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.errors import BadInput, NotFound, Refused
from secdesk.lib import openpgp
from secdesk.teams.models import MemberKey, Person, Policy, SeenSignature


def live_keys(person: Person):
    return MemberKey.objects.filter(person=person, removed_at__isnull=True)


def _read(armoured: str) -> openpgp.PublicKey:
    try:
        return openpgp.read_public_key(armoured)
    except ValueError as err:
        raise BadInput(f"cannot use this key: {err}") from None


def _bind(key: openpgp.PublicKey, person: Person, at) -> MemberKey:
    """Inside the caller's transaction: the key, bound to `person`."""
    holder = MemberKey.objects.filter(fingerprint=key.fingerprint, removed_at__isnull=True).first()
    if holder is not None and holder.person_id == person.pk:
        raise BadInput(f"key {key.fingerprint} is already yours")
    if holder is not None:
        raise Refused(f"key {key.fingerprint} is bound to another person")
    return MemberKey.objects.create(
        person=person,
        fingerprint=key.fingerprint,
        armoured=key.armoured,
        created_at=at,
        expires_at=key.expires_at,
    )


def _own(person: Person, fingerprint: str) -> MemberKey:
    wanted = "".join(fingerprint.split()).upper()
    key = live_keys(person).select_for_update().filter(fingerprint=wanted).first()
    if key is None:
        raise NotFound(f"no key {wanted} of {person.email}")
    return key


def _details(key: MemberKey) -> dict:
    return {"fingerprint": key.fingerprint, "expires_at": key.expires_at}


def _once(work):
    """Run `work` in one transaction; two people binding the same key at once
    meet the database's constraint, which reads as the usual refusal."""
    try:
        with transaction.atomic(durable=True):
            return work()
    except IntegrityError:
        raise Refused("this key is bound to another person") from None


def do_add_member_key(armoured: str, *, acting: Person) -> MemberKey:
    key = _read(armoured)

    def add():
        bound = _bind(key, acting, timezone.now())
        record(acting, AuditEvent.MEMBER_KEY_ADDED, **_details(bound))
        return bound

    return _once(add)


def do_replace_member_key(fingerprint: str, armoured: str, *, acting: Person) -> MemberKey:
    """The new key in place of the old one, at once: there is no moment with neither."""
    key = _read(armoured)

    def replace():
        at = timezone.now()
        old = _own(acting, fingerprint)
        old.removed_at = at
        old.save(update_fields=["removed_at"])
        bound = _bind(key, acting, at)
        record(acting, AuditEvent.MEMBER_KEY_REPLACED, old=old.fingerprint, **_details(bound))
        return bound

    return _once(replace)


def do_remove_member_key(fingerprint: str, *, acting: Person) -> MemberKey:
    def remove():
        key = _own(acting, fingerprint)
        key.removed_at = timezone.now()
        key.save(update_fields=["removed_at"])
        record(acting, AuditEvent.MEMBER_KEY_REMOVED, fingerprint=key.fingerprint)
        return key

    return _once(remove)


def signature_problem(
    signed: openpgp.Signature, key: MemberKey, policy: Policy, inbound_id: int
) -> str | None:
    """Why a valid signature by a member's key still does not make the mail
    theirs, or None. The first time it does, the signature is noted against
    this message, so that it never counts for another."""
    if key.expires_at is not None and signed.created > key.expires_at:
        return f"signed after the key {key.fingerprint} expired"
    age = timezone.now() - signed.created
    limit = policy.signature_max_age_days
    if age > timedelta(days=limit):
        return (
            f"signed {age.days} days ago, on {signed.created:%Y-%m-%d}; the policy "
            f"accepts signatures up to {limit} days old"
        )
    seen, _ = SeenSignature.objects.get_or_create(
        digest=signed.digest,
        defaults={"fingerprint": key.fingerprint, "inbound_id": inbound_id, "at": timezone.now()},
    )
    if seen.inbound_id != inbound_id:
        return f"replayed: the same signature came before, with inbound message #{seen.inbound_id}"
    return None
