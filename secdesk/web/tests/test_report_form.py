"""The public report form: the same held report as a mail to the
security address, rate-limited, with a spam guard that needs no third party."""

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from secdesk.mail.models import Inbound, InboundMessage
from secdesk.outbox.models import OutgoingMessage
from secdesk.outbox.queue import AUTO_REPLIED
from secdesk.web.report_guard import POSTS_PER_HOUR

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
URL = "/report/libvirt/"
REPORT = {
    "email": "finder@research.example",
    "name": "Fay Finder",
    "subject": "Heap overflow in virDomainGetXMLDesc",
    "body": "Steps to reproduce: call it with a crafted domain.",
}


@pytest.fixture
def visitor():
    return Client(enforce_csrf_checks=True, REMOTE_ADDR="192.0.2.7")


def send(client, data=None, *, after=timedelta(seconds=20), at=T0, **fields):
    """Open the form at `at`, fill it in, and send it `after` later."""
    with time_machine.travel(at, tick=False):
        page = client.get(URL).content.decode()
    stamp = re.search(r'name="stamp" value="([^"]+)"', page).group(1)
    with time_machine.travel(at + after, tick=False):
        return client.post(
            URL,
            {
                **(data or REPORT),
                "stamp": stamp,
                "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
                **fields,
            },
        )


def test_a_report_through_the_form_is_held_and_acknowledged_like_mail(visitor, libvirt):
    poc = SimpleUploadedFile("poc.xml", b"<domain/>", content_type="text/xml")
    answer = send(visitor, {**REPORT, "attachment": poc})

    row = InboundMessage.objects.get()
    assert row.state == Inbound.HELD and row.opened_case
    assert row.case.state == "held" and row.case.title == REPORT["subject"]
    assert [a.filename for a in row.attachments.all()] == ["poc.xml"]
    raw = message_from_bytes(bytes(row.raw), policy=policy.default)
    assert raw["To"] == "security@libvirt.org" and "Fay Finder" in raw["From"]

    page = answer.content.decode()
    assert answer.status_code == 200 and row.case.reference in page
    ack = OutgoingMessage.objects.get(case=row.case, kind="acknowledgement")
    assert ack.to == [REPORT["email"]] and ack.headers["Auto-Submitted"] == AUTO_REPLIED
    assert row.case.reference in ack.body


def test_a_reply_faster_than_a_person_types_is_refused(visitor, libvirt):
    answer = send(visitor, after=timedelta(seconds=1))
    assert answer.status_code == 400
    assert "faster than a person types" in answer.content.decode()
    assert not InboundMessage.objects.exists()


def test_a_form_left_open_for_more_than_a_day_is_refused(visitor, libvirt):
    answer = send(visitor, after=timedelta(days=1, minutes=1))
    assert answer.status_code == 400 and "more than a day" in answer.content.decode()
    assert not InboundMessage.objects.exists()


def test_a_forged_stamp_is_refused(visitor, libvirt):
    answer = send(visitor, stamp="forged:stamp")
    assert answer.status_code == 400 and "damaged" in answer.content.decode()
    assert not InboundMessage.objects.exists()


def test_a_robot_that_fills_the_honeypot_is_refused(visitor, libvirt):
    answer = send(visitor, website="http://cheap-pills.example")
    assert answer.status_code == 400
    assert "security@libvirt.org" in answer.content.decode()
    assert not InboundMessage.objects.exists()


def test_a_sixth_report_within_an_hour_from_one_address_is_refused(visitor, libvirt):
    for n in range(POSTS_PER_HOUR):
        assert send(visitor, at=T0 + timedelta(minutes=n)).status_code == 200
    refused = send(visitor, at=T0 + timedelta(minutes=10))
    assert refused.status_code == 429 and "in an hour" in refused.content.decode()
    assert InboundMessage.objects.count() == POSTS_PER_HOUR

    elsewhere = Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.1")
    assert send(elsewhere, at=T0 + timedelta(minutes=10)).status_code == 200
    assert send(visitor, at=T0 + timedelta(minutes=70)).status_code == 200


def test_missing_fields_are_shown_next_to_the_form(visitor, libvirt):
    answer = send(visitor, {**REPORT, "email": "not an address", "body": ""})
    page = answer.content.decode()
    assert answer.status_code == 400
    assert "Enter a valid email address." in page and "This field is required." in page
    assert not InboundMessage.objects.exists()


def test_a_line_break_in_the_summary_cannot_add_a_header(visitor, libvirt):
    send(visitor, {**REPORT, "subject": "Crash\r\nBcc: everyone@example.org"})
    raw = message_from_bytes(bytes(InboundMessage.objects.get().raw), policy=policy.default)
    assert raw["Bcc"] is None
    assert raw["Subject"] == "Crash Bcc: everyone@example.org"


def test_an_unknown_project_has_no_report_form(visitor, libvirt):
    assert visitor.get(reverse("report", args=["nope"])).status_code == 404
