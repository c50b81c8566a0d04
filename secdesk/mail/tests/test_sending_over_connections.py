"""A mail to each of a case's members goes out over several connections to
the relay at once, and whoever the relay took is never sent it again."""

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.db import transaction
from django.utils import timezone

from secdesk.mail import delivery
from secdesk.mail.tests.conftest import Sink, _free_port
from secdesk.outbox import queue
from secdesk.outbox.models import Outgoing

MEMBERS = [f"member{n}@vendor{n % 7}.example" for n in range(40)]


class SlowSink(Sink):
    """A relay that takes 5 ms over each mail, notes from which connection it
    came and how many were in hand at once; the `fail_every`th mail is
    answered 421 (the relay is going away)."""

    def __init__(self):
        super().__init__()
        self.peers = Counter()
        self.in_hand = self.most_in_hand = self.count = 0
        self.fail_every = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        if self.fail_every and self.count % self.fail_every == 0:
            return "421 4.3.2 going away"
        self.in_hand += 1
        self.most_in_hand = max(self.most_in_hand, self.in_hand)
        await asyncio.sleep(0.005)
        self.in_hand -= 1
        self.peers[session.peer] += 1
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def relay(settings):
    handler = SlowSink()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.SMTP_RELAY = ("127.0.0.1", controller.port)
    yield handler
    controller.stop()


def _team_mail(project):
    with transaction.atomic():
        row = queue.new_row(
            project=project,
            to=MEMBERS,
            reply_tos={a: f"security+r-{n}@libvirt.example" for n, a in enumerate(MEMBERS)},
            subject="[LIBVIRT-2026-1] a post",
            body="Here is the fix.",
            kind="case-message",
        )
        row.save()
    return row


def _received(relay) -> Counter:
    return Counter(address for rcpts, _ in relay.messages for address in rcpts)


def test_a_mail_to_each_member_goes_out_over_several_connections_at_once(project, relay, settings):
    settings.SMTP_CONNECTIONS = 4
    row = _team_mail(project)
    assert delivery.deliver_due() == {"sent": 1, "failed": 0}
    assert _received(relay) == Counter(MEMBERS)
    assert len(relay.peers) == 4 and relay.most_in_hand > 1
    row.refresh_from_db()
    assert row.state == Outgoing.SENT and sorted(row.delivered) == sorted(MEMBERS)


def test_one_connection_sends_one_mail_at_a_time(project, relay, settings):
    settings.SMTP_CONNECTIONS = 1
    _team_mail(project)
    assert delivery.deliver_due() == {"sent": 1, "failed": 0}
    assert _received(relay) == Counter(MEMBERS)
    assert len(relay.peers) == 1 and relay.most_in_hand == 1


def test_a_relay_failing_half_way_leaves_the_rest_for_the_retry_and_nobody_gets_it_twice(
    project, relay, settings
):
    settings.SMTP_CONNECTIONS = 4
    relay.fail_every = 9
    row = _team_mail(project)
    assert delivery.deliver_due() == {"sent": 0, "failed": 1}
    row.refresh_from_db()
    taken = _received(relay)
    assert row.state == Outgoing.QUEUED and "421 4.3.2 going away" in row.last_error
    assert 0 < len(row.delivered) < len(MEMBERS)
    assert Counter(row.delivered) == taken

    relay.fail_every = 0
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert delivery.deliver_due() == {"sent": 1, "failed": 0}
    row.refresh_from_db()
    assert row.state == Outgoing.SENT and sorted(row.delivered) == sorted(MEMBERS)
    assert _received(relay) == Counter(MEMBERS)


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_relay_going_away_amid_a_mails_recipients_leaves_them_all_for_the_retry(
    project, relay, settings, pipelining
):
    """One mail to several lists (an announcement): the relay says 421 at the
    second RCPT, so no text went, and nobody may be counted as having it."""
    relay.pipelining = pipelining
    relay.refuse_rcpt = {"list-b@lists.example": "421 4.3.2 going away"}
    lists = ["list-a@lists.example", "list-b@lists.example", "list-c@lists.example"]
    with transaction.atomic():
        row = queue.enqueue(
            project=project, to=lists, subject="advisory", body="Fixed.", kind="announcement"
        )
    assert delivery.deliver_due() == {"sent": 0, "failed": 1}
    row.refresh_from_db()
    assert relay.messages == []
    assert row.state == Outgoing.QUEUED and row.delivered == []
    assert "421 4.3.2 going away" in row.last_error

    relay.refuse_rcpt = {}
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert delivery.deliver_due() == {"sent": 1, "failed": 0}
    assert _received(relay) == Counter(lists)


def test_a_row_that_cannot_be_sent_holds_up_no_other_in_its_batch(project, relay, settings):
    settings.SMTP_CONNECTIONS = 2
    broken = _team_mail(project)
    # A recipient with no reply address of their own: no envelope sender for them.
    broken.reply_tos.pop(MEMBERS[0])
    broken.save(update_fields=["reply_tos"])
    fine = _team_mail(project)
    assert delivery.deliver_due() == {"sent": 1, "failed": 1}
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert fine.state == Outgoing.SENT and sorted(fine.delivered) == sorted(MEMBERS)
    assert broken.state == Outgoing.QUEUED and broken.last_error.startswith("KeyError")
    assert MEMBERS[0] not in broken.delivered
