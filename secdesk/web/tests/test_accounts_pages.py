"""The account pages: the TOTP setup's QR code and its throttle, the password
on the account page, the reset by mail, and an admin's factor reset."""

from datetime import timedelta

import segno
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from secdesk.outbox.models import OutgoingMessage
from secdesk.teams.models import Passkey
from secdesk.web.second_factor import qr_code
from secdesk.web.tests.conftest import PASSWORD, post_form

NEW = "a long passphrase nobody guesses"


def _code(device, at=None) -> str:
    with time_machine.travel(at or timezone.now(), tick=False):
        return f"{totp(device.bin_key, step=device.step, t0=device.t0):06d}"


def test_totp_setup_shows_a_qr_code_of_the_otpauth_address(login_as, bob):
    client = login_as(bob, second_factor=False)
    page = client.get(reverse("second_factor")).content.decode()
    device = TOTPDevice.objects.get(user=bob.user, confirmed=False)
    assert f'src="{qr_code(device.config_url)}"' in page.replace("&amp;", "&")
    assert qr_code(device.config_url) == segno.make(device.config_url, error="m").svg_data_uri(
        scale=5, border=4
    )


def test_a_right_code_just_after_a_wrong_one_is_refused_for_the_wait_and_says_so(login_as, bob):
    device = TOTPDevice.objects.create(user=bob.user, name="phone", confirmed=True)
    client = login_as(bob, second_factor=False)
    url = reverse("second_factor")
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        wrong = post_form(client, url, {"code": "000000", "next": "/"})
        assert "not right" in wrong.content.decode()
        right = post_form(client, url, {"code": _code(device, now), "next": "/"})
    text = right.content.decode()
    assert "wait 1 second," in text and "clock" not in text
    with time_machine.travel(now + timedelta(seconds=2), tick=False):
        later = post_form(client, url, {"code": _code(device, now), "next": "/"})
    assert later.status_code == 302


def test_a_password_alone_cannot_set_up_an_app_beside_a_passkey(login_as, bob):
    Passkey.objects.create(
        user=bob.user, name="laptop", credential_id="c1", public_key=b"k", created_at=timezone.now()
    )
    client = login_as(bob, second_factor=False)
    page = client.get(reverse("second_factor") + "?setup=1").content.decode()
    assert "otpauth://" not in page and "Use a passkey" in page
    assert not TOTPDevice.objects.filter(user=bob.user).exists()


def test_a_member_past_the_second_factor_moves_the_app_to_a_new_phone(login_as, bob):
    client = login_as(bob)
    old = TOTPDevice.objects.get(user=bob.user)
    assert "otpauth://" in client.get(reverse("second_factor") + "?setup=1").content.decode()
    new = TOTPDevice.objects.get(user=bob.user, confirmed=False)
    url = reverse("second_factor") + "?setup=1"
    assert post_form(client, url, {"code": _code(new), "next": "/"}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=bob.user)) == [new]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()


def test_an_unknown_address_and_a_wrong_password_get_the_same_answer(client, bob):
    def error(username):
        page = post_form(client, reverse("login"), {"username": username, "password": "not it"})
        return page.content.decode().split('role="alert"')[1].split("</div>")[0]

    assert error(bob.email) == error("nobody@example.net")


def test_changing_a_password_needs_the_current_one_once_the_login_is_not_fresh(login_as, bob):
    client = login_as(bob)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        refused = post_form(client, reverse("password"), {"new": NEW}, page=reverse("account"))
        assert "not your current password" in refused.content.decode()
        done = post_form(
            client, reverse("password"), {"current": PASSWORD, "new": NEW}, page=reverse("account")
        )
    assert done.status_code == 302
    bob.user.refresh_from_db()
    assert bob.user.check_password(NEW)
    assert client.get(reverse("dashboard")).status_code == 200, "this session goes on"


def test_a_weak_new_password_is_refused_with_the_validators_reason(login_as, bob):
    client = login_as(bob)
    page = post_form(
        client, reverse("password"), {"current": PASSWORD, "new": "short"}, page=reverse("account")
    )
    assert "too short" in page.content.decode()


def test_the_reset_form_answers_the_same_for_an_unknown_address(client, bob):
    known = post_form(client, reverse("password_reset"), {"email": bob.email})
    unknown = post_form(client, reverse("password_reset"), {"email": "nobody@example.net"})
    assert known.content == unknown.content
    assert OutgoingMessage.objects.filter(kind="password-reset").count() == 1


def test_the_reset_form_is_limited_per_client_address(client, bob):
    for _ in range(5):
        post_form(client, reverse("password_reset"), {"email": "nobody@example.net"})
    refused = post_form(client, reverse("password_reset"), {"email": bob.email})
    assert "Please wait an hour" in refused.content.decode()
    assert not OutgoingMessage.objects.filter(kind="password-reset").exists()


def test_a_reset_link_sets_a_password_once(client, bob):
    post_form(client, reverse("password_reset"), {"email": bob.email})
    mail = OutgoingMessage.objects.get(kind="password-reset")
    link = next(w for w in mail.body.split() if "/login/reset/" in w)
    path = link.removeprefix("http://127.0.0.1:8000")
    assert post_form(client, path, {"new": NEW}).status_code == 302
    bob.user.refresh_from_db()
    assert bob.user.check_password(NEW)
    assert client.get(path).status_code == 410


def test_a_site_admin_resets_a_members_factors_on_the_web(login_as, alice, bob):
    bob.user.is_superuser = True
    bob.user.save()
    client = login_as(bob)
    assert reverse("reset_factors") in client.get(reverse("account")).content.decode()
    unknown = post_form(client, reverse("reset_factors"), {"email": "nobody@example.net"})
    assert "no person with address nobody@example.net" in unknown.content.decode()
    done = post_form(client, reverse("reset_factors"), {"email": alice.email})
    assert done.status_code == 302
    alice.user.refresh_from_db()
    assert not alice.user.has_usable_password()
    assert OutgoingMessage.objects.get(kind="factors-reset").to == [alice.email]


def test_a_member_is_told_only_site_admins_reset_factors(login_as, bob):
    client = login_as(bob)
    assert client.get(reverse("reset_factors")).status_code == 403
    assert reverse("reset_factors") not in client.get(reverse("account")).content.decode()


def test_a_session_logged_in_long_ago_cannot_add_a_passkey(login_as, bob):
    # A passkey logs in by itself and outlives a password change: a session
    # left open (or stolen) must not plant one.
    client = login_as(bob)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        stale = post_form(client, reverse("passkey_register_options"), {}, page=reverse("account"))
        assert stale.status_code == 400 and "log out and in again" in stale.json()["error"]
    fresh = post_form(client, reverse("passkey_register_options"), {}, page=reverse("account"))
    assert fresh.status_code == 200 and "challenge" in fresh.json()["options"]


def test_a_session_logged_in_long_ago_cannot_move_the_app_or_make_recovery_codes(login_as, bob):
    # Either would give whoever holds an old session a second factor of their own.
    client = login_as(bob)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        setup = client.get(reverse("second_factor") + "?setup=1").content.decode()
        assert "otpauth://" not in setup and "log out and in again" in setup
        codes = post_form(
            client, reverse("recovery_codes"), {}, page=reverse("account"), follow=True
        )
        assert "log out and in again" in codes.content.decode()
    assert not bob.user.recoverycodes_set.exists()
    assert TOTPDevice.objects.filter(user=bob.user).count() == 1


def test_a_member_cannot_remove_the_passkey_that_is_their_only_second_factor(login_as, bob):
    # With none left, the next login by password alone would set up an app.
    passkey = Passkey.objects.create(
        user=bob.user, name="laptop", credential_id="c1", public_key=b"k", created_at=timezone.now()
    )
    client = login_as(bob, second_factor=False)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = passkey.persistent_id
    session.save()
    url = reverse("remove_passkey", args=[passkey.pk])
    page = post_form(client, url, {}, page=reverse("account"), follow=True)
    assert "only second factor" in page.content.decode()
    assert Passkey.objects.filter(pk=passkey.pk).exists()
