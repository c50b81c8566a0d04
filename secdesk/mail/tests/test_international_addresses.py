"""A reporter whose address is internationalised (RFC 6531: jürgen@uni.example)
reaches the team by mail, by the report form and through a member; mail to
them goes out with SMTPUTF8, the address written as UTF-8."""

import smtplib
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction

from secdesk.cases.actions.reports import do_receive_report
from secdesk.errors import BadInput
from secdesk.lib.addresses import is_address
from secdesk.mail import delivery, intake
from secdesk.mail.daemon import MailServer
from secdesk.mail.models import InboundMessage
from secdesk.outbox import queue
from secdesk.web import report_form

JURGEN = "jürgen@uni.example"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Utf8Sink:
    """A relay that offers SMTPUTF8 and keeps each envelope as it came."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def utf8_sink():
    handler = Utf8Sink()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    handler.port = port
    yield handler
    controller.stop()


@pytest.mark.django_db(transaction=True)
def test_a_report_from_an_international_address_over_smtp_knows_its_reporter(project):
    message = EmailMessage(policy=policy.SMTPUTF8)
    message["From"] = f"Jürgen Example <{JURGEN}>"
    message["To"] = "security@libvirt.example"
    message["Subject"] = "Crash in the RPC parser"
    message["Message-ID"] = "<report-1@uni.example>"
    message.set_content("Steps to reproduce: send a crafted packet.")
    port = _free_port()
    server = MailServer("127.0.0.1", port).start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.send_message(message, JURGEN, ["security@libvirt.example"])
    finally:
        server.stop()
    intake.Intake(None).process_pending()
    [stored] = InboundMessage.objects.all()
    assert stored.sender == JURGEN


def test_the_report_form_takes_an_international_address(project):
    data = {
        "email": JURGEN,
        "name": "Jürgen Example",
        "subject": "Crash in the RPC parser",
        "body": "Steps to reproduce: send a crafted packet.",
    }
    assert report_form.ReportForm(data).is_valid()
    row = report_form.submit(project, data, "192.0.2.1")
    assert row.sender == JURGEN
    assert not report_form.ReportForm({**data, "email": "jürgen@@uni.example"}).is_valid()


def test_a_member_records_a_report_from_an_international_address(project, bob):
    case = do_receive_report(
        project, reporter_email=JURGEN, subject="Crash", body="steps", acting=bob
    )
    assert case.reporter.email == JURGEN
    with pytest.raises(BadInput, match="malformed email address"):
        do_receive_report(
            project, reporter_email="jürgen uni.example", subject="x", body="y", acting=bob
        )


def test_mail_to_an_international_address_is_sent_with_smtputf8(project, utf8_sink, settings):
    settings.SMTP_RELAY = ("127.0.0.1", utf8_sink.port)
    with transaction.atomic():
        queue.enqueue(
            project=project, to=[JURGEN], subject="Your report", body="Thanks", kind="reply"
        )
    assert delivery.deliver_due() == {"sent": 1, "failed": 0}
    [envelope] = utf8_sink.envelopes
    assert "SMTPUTF8" in envelope.mail_options
    assert envelope.rcpt_tos == [JURGEN]
    received = message_from_bytes(envelope.original_content, policy=policy.default)
    assert received["To"] == JURGEN
    assert f"To: {JURGEN}".encode() in envelope.original_content


def test_the_outbox_file_of_an_international_mail_holds_the_address_as_utf8(
    project, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    with transaction.atomic():
        queue.enqueue(
            project=project, to=[JURGEN], subject="Your report", body="Thanks", kind="reply"
        )
    assert delivery.deliver_due() == {"sent": 1, "failed": 0}
    [eml] = (tmp_path / "outbox").glob("*.eml")
    assert f"To: {JURGEN}".encode() in eml.read_bytes()


@pytest.mark.parametrize("address", ['"john..doe"@example.org', "john.doe@example.org", JURGEN])
def test_an_address_django_takes_is_still_taken_beside_international_ones(address):
    assert is_address(address)


@pytest.mark.parametrize("address", ["jürgen..x@uni.example", "@uni.example", '"open@example.org'])
def test_a_malformed_address_is_still_refused(address):
    assert not is_address(address)
