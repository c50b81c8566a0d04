"""Members bind their OpenPGP keys on the account page, in the API (and the
CLI, in secdesk/cli/tests): add, replace, remove, and see when each expires."""

import json

import pytest
from django.test import Client

from secdesk.audit.models import AuditEvent, AuditRecord
from secdesk.errors import BadInput, NotFound, Refused
from secdesk.teams.keys import (
    do_add_member_key,
    do_remove_member_key,
    do_replace_member_key,
    live_keys,
)
from secdesk.teams.tokens import do_create_api_token
from secdesk.web.tests.conftest import pass_second_factor


def _fingerprint(gpg, address) -> str:
    listing = gpg("--with-colons", "--list-keys", address).decode()
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))


def _events() -> list[int]:
    return list(
        AuditRecord.objects.filter(event__in=[133, 134, 135]).values_list("event", flat=True)
    )


def test_keys_are_added_replaced_and_removed_each_with_an_audit_record(bob, gpg):
    first = do_add_member_key(gpg.new_key("bob@suse.example"), acting=bob)
    assert first.fingerprint == _fingerprint(gpg, "bob@suse.example")
    assert first.expires_at is not None
    second = do_replace_member_key(first.fingerprint, gpg.new_key("bob@home.example"), acting=bob)
    assert list(live_keys(bob)) == [second]
    do_remove_member_key(second.fingerprint.lower(), acting=bob)
    assert not live_keys(bob).exists()
    assert _events() == [
        AuditEvent.MEMBER_KEY_ADDED,
        AuditEvent.MEMBER_KEY_REPLACED,
        AuditEvent.MEMBER_KEY_REMOVED,
    ]


def test_an_expired_revoked_or_secret_key_or_no_key_is_refused(bob, gpg):
    expired = gpg.new_key("old@suse.example", expires="1d", made="20250101T000000")
    with pytest.raises(BadInput, match="this key expired on 2025-01-02"):
        do_add_member_key(expired, acting=bob)
    gpg.new_key("lost@suse.example")
    with pytest.raises(BadInput, match="this key is revoked"):
        do_add_member_key(gpg.revoke("lost@suse.example"), acting=bob)
    secret = gpg("--armor", "--export-secret-keys", "lost@suse.example").decode()
    with pytest.raises(BadInput, match="secret key"):
        do_add_member_key(secret, acting=bob)
    with pytest.raises(BadInput, match="not an OpenPGP public key"):
        do_add_member_key("hello", acting=bob)
    assert not live_keys(bob).exists() and _events() == []


def test_a_key_bound_to_another_person_is_refused(bob, carol, gpg):
    key = gpg.new_key("shared@suse.example")
    do_add_member_key(key, acting=carol)
    with pytest.raises(Refused, match="bound to another person"):
        do_add_member_key(key, acting=bob)
    with pytest.raises(BadInput, match="already yours"):
        do_add_member_key(key, acting=carol)
    with pytest.raises(NotFound):
        do_remove_member_key(_fingerprint(gpg, "shared@suse.example"), acting=bob)


def _browser(person) -> Client:
    client = Client(enforce_csrf_checks=False)
    client.force_login(person.user)
    pass_second_factor(client, person.user)
    return client


def test_a_member_adds_replaces_and_removes_a_key_on_the_web(bob, gpg):
    client = _browser(bob)
    response = client.post("/account/keys/", {"armoured": gpg.new_key("bob@suse.example")})
    assert response.status_code == 302
    [first] = live_keys(bob)
    page = client.get("/account/keys/").content.decode()
    assert first.fingerprint in page and first.expires_at.strftime("%Y-%m-%d") in page
    client.post(
        "/account/keys/",
        {"armoured": gpg.new_key("bob@home.example"), "replaces": first.fingerprint},
    )
    [second] = live_keys(bob)
    assert second.fingerprint == _fingerprint(gpg, "bob@home.example")
    client.post(f"/account/keys/{second.fingerprint}/remove/")
    assert not live_keys(bob).exists()


def test_an_expired_key_is_refused_and_the_page_shows_expiry(bob, gpg):
    client = _browser(bob)
    expired = gpg.new_key("old@suse.example", expires="1d", made="20250101T000000")
    response = client.post("/account/keys/", {"armoured": expired})
    assert response.status_code == 200
    assert "this key expired on 2025-01-02" in response.content.decode()
    do_add_member_key(gpg.new_key("bob@suse.example", expires="2030-06-01"), acting=bob)
    assert "2030-06-01" in client.get("/account/keys/").content.decode()


def test_a_member_adds_replaces_and_removes_a_key_in_the_api(bob, gpg):
    _, write = do_create_api_token(name="keys", scope="write", acting=bob)
    _, read = do_create_api_token(name="look", scope="read", acting=bob)

    def call(method, path, body=None, token=write):
        return Client().generic(
            method,
            f"/api/v1/me{path}",
            json.dumps(body or {}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    key = gpg.new_key("bob@suse.example")
    assert call("POST", "/keys", {"armoured": key}, token=read).status_code == 403
    added = call("POST", "/keys", {"armoured": key}).json()
    assert added["fingerprint"] == _fingerprint(gpg, "bob@suse.example")
    assert added["expires_at"]
    replaced = call(
        "POST",
        "/keys",
        {"armoured": gpg.new_key("bob@home.example"), "replaces": added["fingerprint"]},
    ).json()
    assert [k["fingerprint"] for k in call("GET", "/keys", token=read).json()] == [
        replaced["fingerprint"]
    ]
    expired = gpg.new_key("old@suse.example", expires="1d", made="20250101T000000")
    refused = call("POST", "/keys", {"armoured": expired})
    assert refused.status_code == 400 and "expired" in refused.json()["detail"]
    assert call("DELETE", f"/keys/{replaced['fingerprint']}").status_code == 200
    assert call("GET", "/keys").json() == []
