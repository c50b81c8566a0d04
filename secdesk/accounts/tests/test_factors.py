"""Passwords, recovery codes and passkeys, through their actions."""

import pytest
from django.contrib.auth.hashers import identify_hasher
from django_otp.plugins.otp_totp.models import TOTPDevice

from secdesk.accounts.factors import (
    do_make_recovery_codes,
    do_set_password,
    do_use_recovery_code,
    recovery_codes_left,
)
from secdesk.accounts.passkeys import do_add_passkey, do_remove_passkey, do_rename_passkey
from secdesk.audit.models import AuditEvent, AuditRecord
from secdesk.errors import BadInput, NotFound
from secdesk.teams.models import Passkey


def _events(event) -> list[dict]:
    return [r.details for r in AuditRecord.objects.filter(event=event)]


def test_a_password_is_stored_with_argon2_and_audited(bob):
    do_set_password(bob, "a long passphrase nobody guesses", acting=bob, how="chosen")
    bob.user.refresh_from_db()
    assert identify_hasher(bob.user.password).algorithm == "argon2"
    assert bob.user.check_password("a long passphrase nobody guesses")
    assert _events(AuditEvent.PASSWORD_SET) == [{"person": bob.email, "how": "chosen"}]


@pytest.mark.parametrize("weak", ["short", "password1234", "bob@suse.example"])
def test_a_password_django_validators_refuse_is_refused_with_their_reason(bob, weak):
    with pytest.raises(BadInput):
        do_set_password(bob, weak, acting=bob, how="chosen")
    bob.user.refresh_from_db()
    assert not bob.user.check_password(weak)
    assert not _events(AuditEvent.PASSWORD_SET)


def test_ten_recovery_codes_are_shown_once_and_stored_only_as_hashes(bob):
    codes = do_make_recovery_codes(acting=bob)
    assert len(set(codes)) == 10
    stored = list(bob.user.recoverycodes_set.get().codes.values_list("code_hash", flat=True))
    assert not set(codes) & set(stored)
    assert recovery_codes_left(bob) == 10
    assert _events(AuditEvent.RECOVERY_CODES_MADE) == [{"count": 10}]


def test_a_recovery_code_works_once_whatever_its_case_and_dashes(bob):
    code = do_make_recovery_codes(acting=bob)[0]
    assert do_use_recovery_code(bob, code.upper().replace("-", " ")) is not None
    assert do_use_recovery_code(bob, code) is None
    assert recovery_codes_left(bob) == 9
    assert _events(AuditEvent.RECOVERY_CODE_USED) == [{"left": 9}]


def test_new_recovery_codes_end_the_old_ones(bob):
    old = do_make_recovery_codes(acting=bob)
    do_make_recovery_codes(acting=bob)
    assert do_use_recovery_code(bob, old[0]) is None


def test_a_recovery_code_of_someone_else_is_not_yours(bob, carol):
    code = do_make_recovery_codes(acting=carol)[0]
    do_make_recovery_codes(acting=bob)
    assert do_use_recovery_code(bob, code) is None
    assert recovery_codes_left(carol) == 10


def test_an_answer_that_is_no_passkey_registers_nothing(bob):
    for answer in ("", "not json", '{"id": "x", "response": {}}'):
        with pytest.raises(BadInput):
            do_add_passkey("laptop", answer, b"challenge", acting=bob)
    assert not Passkey.objects.exists()
    assert not _events(AuditEvent.PASSKEY_ADDED)


def _passkey(person, name="laptop"):
    from django.utils import timezone

    return Passkey.objects.create(
        user=person.user,
        name=name,
        credential_id=f"id-{name}",
        public_key=b"k",
        created_at=timezone.now(),
    )


def test_a_passkey_is_renamed_and_removed_by_its_owner_with_audit_records(bob):
    # Beside an authenticator app, so it is not bob's only second factor.
    TOTPDevice.objects.create(user=bob.user, name="phone", confirmed=True)
    passkey = _passkey(bob)
    do_rename_passkey(passkey.pk, "  work   laptop ", acting=bob)
    assert Passkey.objects.get().name == "work laptop"
    do_remove_passkey(passkey.pk, acting=bob)
    assert not Passkey.objects.exists()
    assert _events(AuditEvent.PASSKEY_RENAMED) == [{"before": "laptop", "passkey": "work laptop"}]
    assert _events(AuditEvent.PASSKEY_REMOVED) == [{"passkey": "work laptop"}]


def test_someone_elses_passkey_cannot_be_renamed_or_removed(bob, carol):
    passkey = _passkey(carol)
    with pytest.raises(NotFound):
        do_rename_passkey(passkey.pk, "mine now", acting=bob)
    with pytest.raises(NotFound):
        do_remove_passkey(passkey.pk, acting=bob)
    assert Passkey.objects.get().name == "laptop"
