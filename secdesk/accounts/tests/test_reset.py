"""Getting back in: a password reset by mail, and an admin's reset of a
member's login factors."""

from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import time_machine
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from secdesk.accounts.factors import do_make_recovery_codes, do_set_password
from secdesk.accounts.reset import (
    do_mail_password_reset,
    do_reset_factors,
    do_reset_password,
    reset_tokens,
)
from secdesk.audit.models import AuditEvent, AuditRecord
from secdesk.errors import NotAllowed
from secdesk.mail.addresses import resolve, security_addresses
from secdesk.mail.rendering import mails
from secdesk.outbox.models import OutgoingMessage
from secdesk.teams import joining
from secdesk.teams.models import Passkey

PASSWORD = "a long passphrase nobody guesses"


def _mails(kind):
    return list(OutgoingMessage.objects.filter(kind=kind))


@pytest.fixture
def forgetful(bob):
    """bob, who chose a password once and has forgotten it."""
    do_set_password(bob, "the one bob forgot, long enough", acting=bob, how="chosen")
    return bob


def _token_in(mail) -> str:
    link = next(word for word in mail.body.split() if "/login/reset/" in word)
    return link.rstrip("/").rsplit("/", 1)[1].partition(".")[2]


def test_a_reset_link_is_mailed_to_a_member_and_audited(forgetful):
    do_mail_password_reset("BOB@suse.example")
    [mail] = _mails("password-reset")
    assert mail.to == [forgetful.email]
    assert reset_tokens.check_token(forgetful.user, _token_in(mail))
    assert AuditRecord.objects.filter(event=AuditEvent.PASSWORD_RESET_MAILED).count() == 1


def test_an_unknown_address_or_someone_on_no_team_gets_no_mail(charlie):
    do_mail_password_reset("nobody@example.net")
    do_mail_password_reset(charlie.email)
    assert not _mails("password-reset")


def test_asking_again_within_the_hour_mails_nothing_more(forgetful):
    do_mail_password_reset(forgetful.email)
    do_mail_password_reset(forgetful.email)
    assert len(_mails("password-reset")) == 1


def test_a_reset_link_dies_when_used(forgetful):
    do_mail_password_reset(forgetful.email)
    token = _token_in(_mails("password-reset")[0])
    do_reset_password(forgetful, PASSWORD)
    forgetful.user.refresh_from_db()
    assert forgetful.user.check_password(PASSWORD)
    assert not reset_tokens.check_token(forgetful.user, token)


def test_a_reset_link_dies_after_an_hour(bob):
    token = reset_tokens.make_token(bob.user)
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert not reset_tokens.check_token(bob.user, token)


def test_a_reset_link_dies_when_the_persons_access_ends(project, alice, bob):
    token = reset_tokens.make_token(bob.user)
    joining.do_remove_member(project, email=bob.email, reason="left", acting=alice)
    bob.refresh_from_db()
    bob.user.refresh_from_db()
    assert not reset_tokens.check_token(bob.user, token)


def _with_every_factor(person):
    do_set_password(person, PASSWORD, acting=person, how="chosen")
    TOTPDevice.objects.create(user=person.user, name="phone", confirmed=True)
    Passkey.objects.create(
        user=person.user,
        name="laptop",
        credential_id="c1",
        public_key=b"k",
        created_at=timezone.now(),
    )
    do_make_recovery_codes(acting=person)


def test_a_site_admin_resets_every_factor_and_the_member_is_told_by_mail(root, bob):
    _with_every_factor(bob)
    done = do_reset_factors(bob, acting=root)
    bob.refresh_from_db()
    bob.user.refresh_from_db()
    assert not bob.user.has_usable_password()
    assert not TOTPDevice.objects.filter(user=bob.user).exists()
    assert not Passkey.objects.filter(user=bob.user).exists()
    assert not bob.user.recoverycodes_set.exists()
    assert bob.session_epoch == 1, "every session of theirs ends"
    assert done == {
        "email": bob.email,
        "told_by_mail": True,
        "authenticators": 1,
        "passkeys": 1,
        "recovery_codes": True,
    }
    [mail] = _mails("factors-reset")
    assert mail.to == [bob.email] and "root@example.org" in mail.body
    [entry] = AuditRecord.objects.filter(event=AuditEvent.FACTORS_RESET)
    assert entry.actor == root and entry.details["person"] == bob.email


def test_a_project_admin_who_is_no_site_admin_may_not_reset_factors(alice, bob):
    _with_every_factor(bob)
    with pytest.raises(NotAllowed):
        do_reset_factors(bob, acting=alice)
    bob.user.refresh_from_db()
    assert bob.user.check_password(PASSWORD)
    assert not _mails("factors-reset")


def test_a_member_without_a_password_gets_no_reset_link_to_set_one_and_enrol_a_factor(root, bob):
    # After a factor reset (or before a first password) a reset link would let
    # whoever reads it choose the password and then the second factor too.
    do_reset_factors(bob, acting=root)
    do_mail_password_reset(bob.email)
    assert not _mails("password-reset")


def test_an_answer_to_a_reset_mail_quoting_the_link_is_refused_and_reaches_no_team(forgetful):
    # Answered at the security address, it would open a report the whole team
    # reads, with the link in it still good for an hour.
    do_mail_password_reset(forgetful.email)
    [row] = _mails("password-reset")
    [(_, data)] = mails(row)
    answer_to = message_from_bytes(data, policy=policy.default)["Reply-To"]
    assert answer_to and answer_to != row.project.security_address
    assert resolve(answer_to, security_addresses()) is None, "refused at RCPT"
