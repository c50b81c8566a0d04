"""The daemon's answers that depend on storing, with the daemon in this process
(as `secdesk serve` runs it) and a real SMTP client."""

import re
import smtplib
import socket
import threading

import pytest
from django.db import OperationalError

from secdesk.mail import intake
from secdesk.mail.daemon import MailServer
from secdesk.mail.models import InboundMessage
from secdesk.mail.tests.conftest import mail


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_mail_that_cannot_be_stored_gets_a_451_and_the_sender_s_retry_a_250(project, monkeypatch):
    real = intake.store
    calls = []

    def failing_once(envelopes):
        calls.append(len(envelopes))
        if len(calls) == 1:
            raise OperationalError("disk I/O error")
        return real(envelopes)

    monkeypatch.setattr(intake, "store", failing_once)
    port = _free_port()
    server = MailServer("127.0.0.1", port).start()
    raw = mail()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            with pytest.raises(smtplib.SMTPDataError) as refused:
                smtp.sendmail("finder@research.example", ["security@libvirt.example"], raw)
            assert refused.value.smtp_code == 451
            assert b"please try again later" in refused.value.smtp_error
            assert b"disk" not in refused.value.smtp_error  # no internals to the sender
            smtp.sendmail("finder@research.example", ["security@libvirt.example"], raw)
    finally:
        server.stop()
    [stored] = InboundMessage.objects.all()
    # As it came off the wire: smtplib sends CRLF line ends.
    assert bytes(stored.raw).replace(b"\r\n", b"\n").rstrip() == raw.rstrip()


@pytest.mark.django_db(transaction=True)
def test_sessions_stored_together_each_hear_the_number_of_their_own_message(project):
    """Messages of concurrent sessions are committed together; each 250 names
    the row of that session's message."""
    port = _free_port()
    server = MailServer("127.0.0.1", port).start()
    heard: dict[str, int] = {}
    failed = []

    def session(n: int) -> None:
        try:
            talk(n)
        except Exception as err:
            failed.append(err)

    def talk(n: int) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.ehlo()
            for k in range(5):
                subject = f"report {n}.{k}"
                smtp.mail("finder@research.example")
                smtp.rcpt("security@libvirt.example")
                code, text = smtp.data(mail(subject=subject))
                assert code == 250, text
                heard[subject] = int(re.search(rb"#(\d+)", text).group(1))

    try:
        threads = [threading.Thread(target=session, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.stop()
    assert not failed and len(heard) == 20
    for subject, pk in heard.items():
        assert f"Subject: {subject}".encode() in bytes(InboundMessage.objects.get(pk=pk).raw)
