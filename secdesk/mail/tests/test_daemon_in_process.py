"""The daemon's answers that depend on storing, with the daemon in this process
(as `secdesk serve` runs it) and a real SMTP client."""

import re
import smtplib
import socket
import threading
import time

import pytest
from django.db import OperationalError

from secdesk.mail import intake
from secdesk.mail.daemon import MailServer
from secdesk.mail.models import InboundMessage
from secdesk.mail.tests.conftest import mail
from secdesk.teams.actions import do_create_project


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_mail_that_cannot_be_stored_gets_a_451_and_the_sender_s_retry_a_250(project, monkeypatch):
    real = intake.Intake.store
    calls = []

    def failing_once(self, envelopes):
        calls.append(len(envelopes))
        if len(calls) == 1:
            raise OperationalError("disk I/O error")
        return real(self, envelopes)

    monkeypatch.setattr(intake.Intake, "store", failing_once)
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


def _slow_store(monkeypatch, seconds: float, sizes: list, fail_batch: int | None = None):
    """Storing that takes `seconds`, so that concurrent sessions' messages gather
    into one batch; records each batch's size, and fails the `fail_batch`-th."""
    real = intake.Intake.store

    def slow(self, envelopes):
        sizes.append(len(envelopes))
        time.sleep(seconds)
        if len(sizes) == fail_batch:
            raise OperationalError("disk I/O error")
        return real(self, envelopes)

    monkeypatch.setattr(intake.Intake, "store", slow)


def _in_sessions(port: int, count: int, talk) -> list:
    """Run `talk(smtp, n)` in `count` concurrent sessions; their results, in order."""
    results: list = [None] * count

    def session(n: int) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
                smtp.ehlo()
                results[n] = talk(smtp, n)
        except Exception as err:
            results[n] = err

    threads = [threading.Thread(target=session, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _number(text: bytes) -> int:
    return int(re.search(rb"#(\d+)", text).group(1))


@pytest.mark.django_db(transaction=True)
def test_sessions_stored_together_each_hear_the_number_of_their_own_message(
    project, root, monkeypatch
):
    """Messages of concurrent sessions are committed together; each 250 names
    the row of that session's message (the first row of a message to two
    projects)."""
    other = do_create_project(
        slug="qemu", name="QEMU", security_address="security@qemu.example", acting=root
    )
    sizes: list[int] = []
    _slow_store(monkeypatch, 0.02, sizes)
    port = _free_port()
    server = MailServer("127.0.0.1", port).start()

    def talk(smtp, n):
        heard = {}
        for k in range(5):
            subject = f"report {n}.{k}"
            for _ in range(5):
                smtp.mail("finder@research.example")
                smtp.rcpt("security@libvirt.example")
                if n == 0:
                    smtp.rcpt("security@qemu.example")
                code, text = smtp.data(mail(subject=subject))
                # On a loaded machine the test database's in-memory tables may
                # be locked by another connection: 451, and a sender retries.
                if code != 451:
                    break
            assert code == 250, text
            heard[subject] = _number(text)
        return heard

    try:
        results = _in_sessions(port, 4, talk)
    finally:
        server.stop()
    assert all(isinstance(r, dict) for r in results), results
    heard = {subject: pk for r in results for subject, pk in r.items()}
    assert len(heard) == 20 and max(sizes) > 1
    for subject, pk in heard.items():
        row = InboundMessage.objects.get(pk=pk)
        assert f"Subject: {subject}".encode() in bytes(row.raw)
        assert row.project_id == project.pk
    assert InboundMessage.objects.filter(project=other).count() == 5


@pytest.mark.django_db(transaction=True)
def test_every_session_of_a_batch_that_cannot_be_stored_gets_a_451(project, monkeypatch):
    sizes: list[int] = []
    _slow_store(monkeypatch, 0.2, sizes, fail_batch=2)
    port = _free_port()
    server = MailServer("127.0.0.1", port).start()

    def talk(smtp, n):
        time.sleep(0.05 * (n > 0))  # the first alone in the first batch, the rest after it
        smtp.mail("finder@research.example")
        smtp.rcpt("security@libvirt.example")
        code, _ = smtp.data(mail(subject=f"report {n}"))
        return code

    try:
        codes = _in_sessions(port, 4, talk)
    finally:
        server.stop()
    assert sizes[:2] == [1, 3]
    assert sorted(codes) == [250, 451, 451, 451]
    assert InboundMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_stopping_answers_the_message_being_stored_before_it_ends_the_session(project, monkeypatch):
    sizes: list[int] = []
    _slow_store(monkeypatch, 0.5, sizes)
    port = _free_port()
    server = MailServer("127.0.0.1", port).start()

    def talk(smtp, n):
        smtp.mail("finder@research.example")
        smtp.rcpt("security@libvirt.example")
        return smtp.data(mail())

    sender = threading.Thread(target=lambda: answers.extend(_in_sessions(port, 1, talk)))
    answers: list = []
    sender.start()
    while not sizes:  # the message is being stored
        time.sleep(0.01)
    server.stop()
    sender.join()
    [(code, text)] = answers
    assert code == 250 and _number(text) == InboundMessage.objects.get().pk
