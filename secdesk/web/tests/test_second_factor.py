"""A second factor is mandatory for anyone who can see embargoed material."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from secdesk.audit.models import AuditEvent, AuditRecord
from secdesk.web.tests.conftest import PASSWORD


def _csrf(client, url):
    client.get(url)
    return client.cookies["csrftoken"].value


def _totp_at(device, at):
    with time_machine.travel(at, tick=False):
        return totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)


def _password_login(bob):
    client = Client(enforce_csrf_checks=True)
    token = _csrf(client, reverse("login"))
    client.post(
        reverse("login"),
        {"username": bob.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    return client


def test_a_member_sets_up_totp_then_reaches_the_dashboard(bob):
    client = _password_login(bob)
    setup = client.get(reverse("second_factor"))
    assert setup.status_code == 200
    assert b"otpauth://totp/" in setup.content
    device = TOTPDevice.objects.get(user=bob.user, confirmed=False)
    wrong = client.post(
        reverse("second_factor"),
        {
            "code": "000000",
            "next": "/",
            "csrfmiddlewaretoken": _csrf(client, reverse("second_factor")),
        },
    )
    assert wrong.status_code == 200 and b"not right" in wrong.content
    # A wrong code makes the device wait a moment before the next try.
    later = timezone.now() + timedelta(seconds=5)
    with time_machine.travel(later, tick=False):
        right = client.post(
            reverse("second_factor"),
            {
                "code": f"{_totp_at(device, later):06d}",
                "next": "/",
                "csrfmiddlewaretoken": _csrf(client, reverse("second_factor")),
            },
        )
    assert right.status_code == 302 and right["Location"] == "/"
    assert client.get(reverse("dashboard")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditRecord.objects.filter(event=AuditEvent.SECOND_FACTOR_ADDED, actor=bob).exists()


def test_a_member_with_a_device_must_give_a_code_at_every_login(bob):
    device = TOTPDevice.objects.create(user=bob.user, name="phone", confirmed=True)
    client = _password_login(bob)
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("second_factor"))
    page = client.get(reverse("second_factor"))
    assert b"otpauth" not in page.content, "an existing device is not shown again"
    client.post(
        reverse("second_factor"),
        {
            "code": f"{_totp_at(device, timezone.now()):06d}",
            "next": "/",
            "csrfmiddlewaretoken": _csrf(client, reverse("second_factor")),
        },
    )
    assert client.get(reverse("dashboard")).status_code == 200


def test_an_old_code_is_refused(bob):
    device = TOTPDevice.objects.create(user=bob.user, name="phone", confirmed=True)
    client = _password_login(bob)
    stale = f"{_totp_at(device, timezone.now() - timedelta(minutes=10)):06d}"
    response = client.post(
        reverse("second_factor"),
        {
            "code": stale,
            "next": "/",
            "csrfmiddlewaretoken": _csrf(client, reverse("second_factor")),
        },
    )
    assert response.status_code == 200
    assert client.get(reverse("dashboard")).status_code == 302


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x"])
def test_the_second_factor_never_redirects_off_site(bob, next_url):
    device = TOTPDevice.objects.create(user=bob.user, name="phone", confirmed=True)
    client = _password_login(bob)
    response = client.post(
        reverse("second_factor"),
        {
            "code": f"{_totp_at(device, timezone.now()):06d}",
            "next": next_url,
            "csrfmiddlewaretoken": _csrf(client, reverse("second_factor")),
        },
    )
    assert response["Location"] == "/"


def test_a_site_admin_on_no_team_must_pass_the_second_factor_before_resetting_factors(charlie):
    # A site admin resets anyone's factors: their password alone must not do it.
    charlie.user.is_superuser = True
    charlie.user.save()
    client = _password_login(charlie)
    page = client.get(reverse("reset_factors"))
    assert page.status_code == 302 and page["Location"].startswith(reverse("second_factor"))
