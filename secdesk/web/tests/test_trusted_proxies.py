"""Behind the reverse proxy every request comes from the proxy's address: the
login and report-form limits count the client the proxy names, and only a
trusted proxy may name one (SECDESK_TRUSTED_PROXIES)."""

from datetime import timedelta
from ipaddress import ip_network

import pytest
from django.test import Client
from django.urls import reverse

from secdesk.web.report_guard import POSTS_PER_HOUR
from secdesk.web.tests.conftest import PASSWORD
from secdesk.web.tests.test_report_form import T0, send

PROXY = "127.0.0.1"


@pytest.fixture(autouse=True)
def proxy(settings):
    settings.TRUSTED_PROXIES = (ip_network(PROXY), ip_network("10.0.0.0/8"))


def through_proxy(client_address: str) -> Client:
    """A browser at `client_address`, reaching secdesk through nginx."""
    return Client(
        enforce_csrf_checks=True,
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=client_address,
    )


def log_in(client: Client, email: str, password: str):
    client.get(reverse("login"))
    return client.post(
        reverse("login"),
        {
            "username": email,
            "password": password,
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )


def lock_out(client: Client, settings) -> None:
    """Fail as many logins as allowed, each for another account: the count that
    stops the client is its address's."""
    for n in range(settings.LOGIN_FAILURES_ALLOWED):
        assert log_in(client, f"guess{n}@example.org", "wrong").status_code == 200


def throttled(answer) -> bool:
    return b"Too many failed logins" in answer.content


def test_two_clients_behind_the_proxy_are_throttled_each_on_their_own(bob, settings):
    attacker = through_proxy("203.0.113.66")
    lock_out(attacker, settings)
    assert throttled(log_in(attacker, bob.email, PASSWORD))

    bob_browser = through_proxy("198.51.100.7")
    answer = log_in(bob_browser, bob.email, PASSWORD)
    assert answer.status_code == 302 and not throttled(answer)


def test_the_client_is_the_right_most_address_no_trusted_proxy_added(bob, settings):
    # The client wrote the first entry itself; nginx added the real address,
    # and a second proxy of ours its own.
    attacker = through_proxy("198.51.100.7, 203.0.113.66, 10.0.0.2")
    lock_out(attacker, settings)

    assert throttled(log_in(through_proxy("203.0.113.66"), bob.email, PASSWORD))
    assert not throttled(log_in(through_proxy("198.51.100.7"), bob.email, PASSWORD))


def test_a_forged_forwarded_for_from_an_untrusted_address_is_ignored(bob, settings):
    for n in range(settings.LOGIN_FAILURES_ALLOWED):
        # A new address in the header each time: it picks no bucket of its own.
        forged = Client(
            enforce_csrf_checks=True,
            REMOTE_ADDR="192.0.2.66",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
        log_in(forged, f"guess{n}@example.org", "wrong")
    assert throttled(log_in(Client(REMOTE_ADDR="192.0.2.66"), bob.email, PASSWORD))
    # Nor does it count against the address it names.
    assert not throttled(log_in(through_proxy("198.51.100.0"), bob.email, PASSWORD))


def test_the_report_form_limit_counts_each_client_behind_the_proxy(libvirt):
    first = through_proxy("203.0.113.66")
    for n in range(POSTS_PER_HOUR):
        assert send(first, at=T0 + timedelta(minutes=n)).status_code == 200
    assert send(first, at=T0 + timedelta(minutes=10)).status_code == 429

    second = through_proxy("198.51.100.7")
    assert send(second, at=T0 + timedelta(minutes=10)).status_code == 200
