from datetime import timedelta

import time_machine
from django.conf import settings
from django.test import Client

from secdesk.teams.login_links import issue_login_link
from secdesk.teams.models import LoginLink
from secdesk.web.tests.conftest import NOW, pass_second_factor


def path_of(url: str) -> str:
    assert url.startswith(settings.SITE_URL + "/login/once/")
    return url.removeprefix(settings.SITE_URL)


def use_link(client: Client, path: str):
    """Open the link, then press its button, as a person in a browser does."""
    page = client.get(path)
    if page.status_code != 200:
        return page
    return client.post(path, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def test_one_time_login_link_works_only_once(alice):
    path = path_of(issue_login_link(alice.user))

    first = Client(enforce_csrf_checks=True)
    response = use_link(first, path)
    assert response.status_code == 302
    # Logged in: the link is a first factor; the second comes next.
    assert first.get("/")["Location"].startswith("/account/second-factor/")
    pass_second_factor(first, alice.user)
    assert first.get("/").status_code == 200

    second = Client(enforce_csrf_checks=True)
    response = use_link(second, path)
    assert response.status_code == 410
    assert b"already been used" in response.content
    assert b'href="/login/"' in response.content
    assert second.get("/").status_code == 302


def test_opening_a_login_link_does_not_use_it_up(client, alice):
    # Mail scanners and link previews fetch URLs; only the button press counts.
    path = path_of(issue_login_link(alice.user))
    client.get(path)
    client.get(path)
    assert use_link(Client(enforce_csrf_checks=True), path).status_code == 302


def test_expired_login_link_is_refused(client, alice):
    with time_machine.travel(NOW, tick=False):
        path = path_of(issue_login_link(alice.user, minutes=60))
    with time_machine.travel(NOW + timedelta(minutes=61), tick=False):
        response = use_link(client, path)
    assert response.status_code == 410
    assert b"expired" in response.content
    assert client.get("/").status_code == 302


def test_login_link_pressed_after_it_expired_is_refused(client, alice):
    with time_machine.travel(NOW, tick=False):
        path = path_of(issue_login_link(alice.user, minutes=60))
        client.get(path)
    with time_machine.travel(NOW + timedelta(minutes=61), tick=False):
        response = client.post(path, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert response.status_code == 410
    assert "_auth_user_id" not in client.session


def test_unknown_login_link_shows_a_clear_page(client, db):
    response = client.get("/login/once/not-a-real-token/")
    assert response.status_code == 404
    assert b"not valid" in response.content
    assert b'href="/login/"' in response.content


def test_login_link_of_a_deactivated_account_is_refused(client, alice):
    path = path_of(issue_login_link(alice.user))
    alice.user.is_active = False
    alice.user.save()
    assert use_link(client, path).status_code == 404


def test_only_a_hash_of_the_login_token_is_stored(alice):
    token = issue_login_link(alice.user).rstrip("/").rsplit("/", 1)[1]
    link = LoginLink.objects.get()
    assert token not in link.token_hash
    assert len(link.token_hash) == 64
