"""Joining by web, the team page, the policy page, and removal ending access
(issue 4, acceptances A and D)."""

from django.test import Client
from django.urls import reverse

from secdesk.teams.models import Consent, JoinRequest, Membership
from secdesk.teams.tokens import do_create_api_token
from secdesk.web.tests.conftest import pass_second_factor


def _csrf(client, url):
    client.get(url)
    return client.cookies["csrftoken"].value


def _post(client, url, data, page=None):
    data = {**data, "csrfmiddlewaretoken": _csrf(client, page or url)}
    return client.post(url, data)


def test_an_applicant_joins_through_the_web(libvirt, alice, bob, case):
    visitor = Client(enforce_csrf_checks=True)
    sent = _post(
        visitor,
        reverse("join", args=["libvirt"]),
        {
            "email": "erin@ubuntu.example",
            "name": "Erin",
            "organisation": "Ubuntu Security",
            "statement": "I ship the package; Bob knows me.",
        },
    )
    assert sent.status_code == 200 and b"hear back by email" in sent.content

    team_url = reverse("team", args=["libvirt"])
    bob_client = Client(enforce_csrf_checks=True)
    bob_client.force_login(bob.user)
    pass_second_factor(bob_client, bob.user)
    page = bob_client.get(team_url)
    assert b"erin@ubuntu.example" in page.content
    _post(
        bob_client, reverse("vouch", args=["libvirt"]), {"email": "erin@ubuntu.example"}, team_url
    )

    alice_client = Client(enforce_csrf_checks=True)
    alice_client.force_login(alice.user)
    pass_second_factor(alice_client, alice.user)
    _post(
        alice_client,
        reverse("approve", args=["libvirt"]),
        {"email": "erin@ubuntu.example", "role": "member"},
        team_url,
    )
    erin = Membership.objects.get(person__email="erin@ubuntu.example")
    assert erin.consent == Consent.INVITED

    erin_client = Client(enforce_csrf_checks=True)
    erin_client.force_login(erin.person.user)
    policy_url = reverse("policy", args=["libvirt"])
    assert b"I accept version 1" in erin_client.get(policy_url).content
    done = _post(erin_client, policy_url, {"decision": "accept"})
    assert done.status_code == 302
    erin.refresh_from_db()
    assert erin.consent == Consent.SIGNATORY
    assert JoinRequest.objects.get(person=erin.person).state == "joined"
    # On the team now: the second factor stands before the cases.
    assert erin_client.get(reverse("case", args=[case]))["Location"].startswith(
        reverse("second_factor")
    )
    pass_second_factor(erin_client, erin.person.user)
    assert erin_client.get(reverse("case", args=[case])).status_code == 200


def test_declining_on_the_policy_page_keeps_the_applicant_out(libvirt, alice, bob, case):
    from secdesk.teams import joining

    joining.do_request_membership(
        libvirt, email="frank@bsd.example", organisation="FreeBSD", statement="ports maintainer"
    )
    joining.do_vouch(libvirt, email="frank@bsd.example", acting=bob)
    membership = joining.do_approve_request(libvirt, email="frank@bsd.example", acting=alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(membership.person.user)
    _post(client, reverse("policy", args=["libvirt"]), {"decision": "decline"})
    membership.refresh_from_db()
    assert membership.consent == Consent.DECLINED
    pass_second_factor(client, membership.person.user)
    assert client.get(reverse("case", args=[case])).status_code == 404


def test_a_removed_members_session_and_token_stop_working_on_their_next_request(
    libvirt, alice, bob, case, login_as
):
    session = login_as(bob)
    _, raw = do_create_api_token(name="script", acting=bob)
    api = Client()
    assert session.get(reverse("case", args=[case])).status_code == 200
    assert (
        api.get(
            f"/api/v1/cases/{case.project.slug}/{case.number}", HTTP_AUTHORIZATION=f"Bearer {raw}"
        ).status_code
        == 200
    )

    admin = login_as(alice)
    team_url = reverse("team", args=["libvirt"])
    _post(
        admin, reverse("remove", args=["libvirt"]), {"email": bob.email, "reason": "left"}, team_url
    )

    after = session.get(reverse("case", args=[case]))
    assert after.status_code == 302 and after["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in session.session
    refused = api.get(
        f"/api/v1/cases/{case.project.slug}/{case.number}", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert refused.status_code == 401
    assert refused.json()["detail"].startswith("a valid API token is needed")


def test_a_member_cannot_manage_the_team(libvirt, alice, bob, login_as):
    client = login_as(bob)
    team_url = reverse("team", args=["libvirt"])
    response = _post(
        client,
        reverse("remove", args=["libvirt"]),
        {"email": alice.email, "reason": "coup"},
        team_url,
    )
    assert response.status_code == 403
    assert b"needs the admin role" in response.content
    assert Membership.objects.get(person=alice).removed_at is None


def test_the_login_is_throttled_after_repeated_failures(bob, settings):
    client = Client(enforce_csrf_checks=True)
    for _ in range(settings.LOGIN_FAILURES_ALLOWED):
        _post(client, reverse("login"), {"username": bob.email, "password": "wrong"})
    from secdesk.web.tests.conftest import PASSWORD

    response = _post(client, reverse("login"), {"username": bob.email, "password": PASSWORD})
    assert response.status_code == 200
    assert b"Too many failed logins" in response.content
    assert "_auth_user_id" not in client.session
