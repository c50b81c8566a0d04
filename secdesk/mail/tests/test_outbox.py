"""The outbox: exactly-once at the source, retried with backoff, failures kept in sight."""

from datetime import timedelta
from email import message_from_bytes, policy

import time_machine
from django.db import transaction
from django.utils import timezone

from secdesk.mail import delivery
from secdesk.mail.moderation import escalate_held_reports
from secdesk.mail.rendering import mails
from secdesk.mail.tests.conftest import deliver, mail
from secdesk.outbox import queue
from secdesk.outbox.models import Outgoing, OutgoingMessage


def _queue(project, to=("announce@libvirt.example",), **kw):
    with transaction.atomic():
        return queue.enqueue(
            project=project,
            to=list(to),
            subject="Advisory",
            body="text",
            kind="announcement",
            **kw,
        )


def test_the_same_dedupe_key_queues_one_mail_only(project):
    first = _queue(project, dedupe_key="publish:1")
    again = _queue(project, dedupe_key="publish:1")
    assert first.pk == again.pk and OutgoingMessage.objects.count() == 1


def test_mail_is_relayed_with_our_from_message_id_and_auto_submitted(project, sink, settings):
    settings.SMTP_RELAY = ("127.0.0.1", sink.port)
    row = _queue(project)
    assert delivery.deliver_due() == {"sent": 1, "failed": 0}
    [(rcpts, message)] = sink.messages
    assert rcpts == ["announce@libvirt.example"]
    assert message["From"] == "libvirt security <security@libvirt.example>"
    assert message["Message-ID"] == row.message_id
    assert message["Auto-Submitted"] == "auto-generated"


def test_a_refused_mail_is_marked_failed_and_can_be_retried(project, alice, sink, settings):
    settings.SMTP_RELAY = ("127.0.0.1", sink.port)
    sink.refuse = "550 5.1.1 no such user"
    row = _queue(project)
    delivery.deliver_due()
    row.refresh_from_db()
    assert row.state == Outgoing.FAILED
    assert row.last_error == "SMTPDataError: 550 5.1.1 no such user"
    sink.refuse = None
    delivery.do_retry(row.pk, acting=alice)
    delivery.deliver_due()
    row.refresh_from_db()
    assert row.state == Outgoing.SENT


TEAM = ["alice@redhat.example", "bob@suse.example", "carol@debian.example"]


def _rcpts(sink) -> list[list[str]]:
    """The recipients the relay accepted for each mail it was given, in order."""
    return [rcpts for rcpts, _ in sink.messages]


def test_recipients_refused_by_the_relay_get_the_retry_and_the_others_do_not(
    project, sink, settings
):
    settings.SMTP_RELAY = ("127.0.0.1", sink.port)
    sink.refuse_rcpt = {"bob@suse.example": "450 4.2.2 mailbox full"}
    row = _queue(project, to=TEAM)
    assert delivery.deliver_due() == {"sent": 0, "failed": 1}
    row.refresh_from_db()
    assert row.state == Outgoing.QUEUED and row.attempts == 1
    assert row.delivered == ["alice@redhat.example", "carol@debian.example"]
    assert "bob@suse.example 450 4.2.2 mailbox full" in row.last_error
    assert _rcpts(sink) == [["alice@redhat.example", "carol@debian.example"]]

    sink.refuse_rcpt = {}
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert delivery.deliver_due() == {"sent": 1, "failed": 0}
    row.refresh_from_db()
    assert row.state == Outgoing.SENT and sorted(row.delivered) == TEAM
    assert _rcpts(sink)[1:] == [["bob@suse.example"]]


def test_a_mail_fails_when_every_remaining_refusal_is_permanent_and_a_retry_sends_to_those_only(
    project, alice, sink, settings
):
    settings.SMTP_RELAY = ("127.0.0.1", sink.port)
    sink.refuse_rcpt = {
        "bob@suse.example": "450 4.2.2 mailbox full",
        "carol@debian.example": "550 5.1.1 no such user",
    }
    row = _queue(project, to=TEAM)
    delivery.deliver_due()
    row.refresh_from_db()
    assert row.state == Outgoing.QUEUED  # bob's refusal is temporary
    assert "bob@suse.example 450" in row.last_error
    assert "carol@debian.example 550" in row.last_error

    del sink.refuse_rcpt["bob@suse.example"]
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        delivery.deliver_due()
    row.refresh_from_db()
    assert row.state == Outgoing.FAILED and "carol@debian.example 550" in row.last_error
    assert row.delivered == ["alice@redhat.example", "bob@suse.example"]

    sink.refuse_rcpt = {}
    delivery.do_retry(row.pk, acting=alice)
    delivery.deliver_due()
    row.refresh_from_db()
    assert row.state == Outgoing.SENT
    assert _rcpts(sink) == [
        ["alice@redhat.example"],
        ["bob@suse.example"],
        ["carol@debian.example"],
    ]


def test_an_unreachable_relay_is_retried_later_with_backoff(project, settings):
    settings.SMTP_RELAY = ("127.0.0.1", 1)
    row = _queue(project)
    delivery.deliver_due()
    row.refresh_from_db()
    assert row.state == Outgoing.QUEUED and row.attempts == 1
    assert row.next_attempt_at > timezone.now()
    assert delivery.deliver_due() == {"sent": 0, "failed": 0}  # not due yet


def test_without_a_relay_mail_is_written_as_eml_files(project, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    _queue(project)
    delivery.deliver_due()
    [eml] = (tmp_path / "outbox").glob("*.eml")
    assert b"Subject: Advisory" in eml.read_bytes()


def test_an_eml_file_delivers_a_mail_to_all_its_recipients_at_once(project, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    row = _queue(project, to=TEAM)
    assert delivery.deliver_due() == {"sent": 1, "failed": 0}
    row.refresh_from_db()
    assert row.state == Outgoing.SENT and row.delivered == TEAM
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_a_report_held_too_long_is_escalated_to_each_admin_once(project, alice):
    row = deliver(mail())
    with time_machine.travel(timezone.now() + timedelta(hours=49)):
        assert escalate_held_reports() == 1
        assert escalate_held_reports() == 0
    escalations = OutgoingMessage.objects.filter(kind="escalation")
    assert sorted(e.to for e in escalations) == [["alice@redhat.example"], ["root@example.org"]]
    assert all(row.case.reference in e.subject for e in escalations)
    assert all(f"secdesk moderation show {row.pk}\n" in e.body for e in escalations)
    assert len({e.reply_to for e in escalations}) == 2


def _read(data: bytes):
    message = message_from_bytes(data, policy=policy.default)
    return sorted((name, str(value)) for name, value in message.items()), message.get_content()


def test_each_recipients_own_mail_reads_as_a_mail_rendered_for_them_alone(project):
    """A row to many, each with their own reply address, is rendered once
    (`rendering`): each mail must still be the one that row would be for that
    recipient alone, internationalised addresses and subjects included."""
    members = ["alice@redhat.example", "jürgen@uni.example", '"bob smith"@suse.example']
    with transaction.atomic():
        row = queue.new_row(
            project=project,
            to=members,
            reply_tos={a: f"security+r-{n}@libvirt.example" for n, a in enumerate(members)},
            subject="Überlauf im XML-Parser, " + "a long subject " * 8,
            body="Fixed in the next release: ünïcode and a line\nof its own.",
            kind="case-message",
            headers={"X-Secdesk-Case": "LIBVIRT-2026-1"},
        )
        row.save()
    for (recipients, data), address in zip(mails(row), members, strict=True):
        assert recipients == [address]
        alone = OutgoingMessage.objects.get(pk=row.pk)
        alone.to, alone.reply_to, alone.reply_tos = [address], row.reply_tos[address], {}
        [(_, whole)] = mails(alone)
        assert _read(data) == _read(whole)
        assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")


def test_a_text_with_lone_dots_and_stray_line_ends_reaches_the_relay_as_one_mail(
    project, sink, settings
):
    """What someone writes into a case is text, never SMTP: a line holding a
    dot, a bare CR or LF, or lines that read as commands neither end the mail
    nor start another one at the relay (SMTP smuggling)."""
    settings.SMTP_RELAY = ("127.0.0.1", sink.port)
    body = (
        "one\r.\rtwo\n.\nthree\r\n.\r\nMAIL FROM:<evil@attacker.example>\r\n"
        "RCPT TO:<victim@elsewhere.example>\r\nDATA\r\nforged\r\n.\r\n"
    )
    with transaction.atomic():
        queue.enqueue(
            project=project, to=["alice@redhat.example"], subject="s", body=body, kind="k"
        )
    assert delivery.deliver_due() == {"sent": 1, "failed": 0}
    [(recipients, message)] = sink.messages
    assert recipients == ["alice@redhat.example"]
    lines = message.get_content().replace("\r\n", "\n")
    assert lines == body.replace("\r\n", "\n").replace("\r", "\n")
