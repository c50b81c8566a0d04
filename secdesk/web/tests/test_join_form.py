"""The public form to join a team tells no one who is on it, is limited per
client address, and mails no one at once: the admins get a digest."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.test import Client
from django.urls import reverse

from secdesk.outbox.models import OutgoingMessage
from secdesk.teams import joining
from secdesk.teams.models import JoinRequest
from secdesk.web.report_guard import POSTS_PER_HOUR

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _ask(client, email, *, at=T0, statement="I ship the package; Bob knows me."):
    url = reverse("join", args=["libvirt"])
    with time_machine.travel(at, tick=False):
        client.get(url)
        return client.post(
            url,
            {
                "email": email,
                "name": "Someone",
                "organisation": "Some Vendor",
                "statement": statement,
                "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            },
        )


def _visitor(address="203.0.113.9"):
    return Client(enforce_csrf_checks=True, REMOTE_ADDR=address)


def test_the_answer_is_the_same_for_a_member_an_applicant_and_a_stranger(libvirt, alice, bob):
    joining.do_request_membership(
        libvirt, email="erin@ubuntu.example", organisation="Ubuntu", statement="hello"
    )
    answers = [
        _ask(_visitor(f"203.0.113.{n}"), email, at=T0 + timedelta(minutes=n))
        for n, email in enumerate(["bob@example.org", "erin@ubuntu.example", "new@example.net"])
    ]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].content == answers[1].content == answers[2].content
    assert b"is already on the" not in answers[0].content
    assert JoinRequest.objects.filter(person__email="new@example.net").exists()
    assert JoinRequest.objects.filter(person__email="erin@ubuntu.example").count() == 1


def test_one_client_address_may_send_the_form_five_times_an_hour(libvirt, alice):
    visitor = _visitor()
    for n in range(POSTS_PER_HOUR):
        answer = _ask(visitor, f"applicant{n}@example.net", at=T0 + timedelta(minutes=n))
        assert answer.status_code == 200
    refused = _ask(visitor, "one-more@example.net", at=T0 + timedelta(minutes=10))
    assert refused.status_code == 429 and "in an hour" in refused.content.decode()
    assert JoinRequest.objects.count() == POSTS_PER_HOUR

    assert _ask(_visitor("198.51.100.1"), "other@example.net").status_code == 200
    assert _ask(visitor, "later@example.net", at=T0 + timedelta(minutes=70)).status_code == 200


def test_a_request_mails_no_one_and_each_admin_gets_one_digest_an_hour(libvirt, alice, bob):
    from secdesk.web.tests.conftest import join, make_person

    dana = make_person("dana@example.org", "Dana Admin")
    join(dana, libvirt, "admin")
    _ask(_visitor("203.0.113.1"), "erin@ubuntu.example", statement="Erin's words " * 100)
    _ask(_visitor("203.0.113.2"), "frank@bsd.example", statement="ports maintainer")
    assert not OutgoingMessage.objects.exists()

    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        assert joining.announce_join_requests() == 2
        assert joining.announce_join_requests() == 0
    digests = list(OutgoingMessage.objects.filter(kind="join-digest"))
    assert sorted(d.to[0] for d in digests) == ["alice@example.org", "dana@example.org"]
    assert all(len(d.to) == 1 and not d.cc for d in digests)
    body = digests[0].body
    assert "erin@ubuntu.example" in body and "frank@bsd.example" in body
    assert "ports maintainer" in body and len(body) < 2000
    assert not OutgoingMessage.objects.exclude(kind="join-digest").exists()

    _ask(_visitor("203.0.113.3"), "gina@example.net", at=T0 + timedelta(minutes=20))
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        assert joining.announce_join_requests() == 0
    with time_machine.travel(T0 + timedelta(minutes=66), tick=False):
        assert joining.announce_join_requests() == 1
    latest = OutgoingMessage.objects.filter(kind="join-digest").order_by("-pk").first()
    assert "gina@example.net" in latest.body and "erin@" not in latest.body
    assert OutgoingMessage.objects.filter(kind="join-digest").count() == 4
