"""Mail the relay refuses is shown on the case, with the relay's answer, to
those who look after the outbox: a real relay on loopback that refuses one
member's mailbox for good."""

import socket

import pytest
from aiosmtpd.controller import Controller

from secdesk.mail import delivery
from secdesk.mail.posts import do_post_reply
from secdesk.mail.tests.conftest import Sink


@pytest.fixture
def refusing_relay(settings):
    sink = Sink()
    sink.refuse_rcpt = {"bob@example.org": "550 5.1.1 Mailbox unavailable"}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.SMTP_RELAY = ("127.0.0.1", port)
    yield sink
    controller.stop()


def test_a_refused_mail_is_shown_on_the_case_with_the_relays_answer(
    login_as, alice, bob, case, refusing_relay
):
    do_post_reply(case, body="A patch for review.", acting=alice)
    delivery.deliver_due()
    page = login_as(alice).get(f"/cases/{case.project.slug}/{case.number}/").content.decode()
    assert "Mail not delivered" in page
    section = " ".join(page[page.index('id="undelivered"') :].split("</section>")[0].split())
    assert "to bob@example.org: refused for good after 1 try" in section
    assert "550" in section and "Mailbox unavailable" in section
    # The reporter's copy went out: only the refused mailbox is named.
    assert "reporter@example.net" not in section


def test_a_member_who_does_not_look_after_the_outbox_does_not_see_it(
    login_as, alice, bob, case, refusing_relay
):
    do_post_reply(case, body="A patch for review.", acting=alice)
    delivery.deliver_due()
    page = login_as(bob).get(f"/cases/{case.project.slug}/{case.number}/").content.decode()
    assert "Mail not delivered" not in page
