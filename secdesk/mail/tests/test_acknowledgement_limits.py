"""Anyone can forge a sender: automatic acknowledgements are limited per
sender in a day, per sender's domain in an hour, and in all in an hour, so
that forged reports cannot make secdesk mail whoever an abuser chooses."""

import threading
import time

import pytest
import time_machine
from django.db import connection, transaction

from secdesk.lib.rows import Inserts
from secdesk.mail import intake, notices
from secdesk.mail.addresses import resolve, security_addresses
from secdesk.mail.models import AcknowledgementCount, Inbound, InboundMessage
from secdesk.mail.tests.conftest import mail
from secdesk.outbox import queue
from secdesk.outbox.models import OutgoingMessage


def _deliver_all(senders, subject="Heap overflow in the XML parser") -> list[InboundMessage]:
    to = "security@libvirt.example"
    recipients = [(to, resolve(to, security_addresses()))]
    pks = intake.Intake(None).store(
        [intake.Envelope(mail(sender=s, subject=subject), s, recipients) for s in senders]
    )
    intake.Intake(None).process_pending()
    return [InboundMessage.objects.get(pk=pk) for pk in pks]


def _acknowledged() -> list[str]:
    return [
        row.to[0] for row in OutgoingMessage.objects.filter(kind="acknowledgement").order_by("pk")
    ]


def _refused_by(row: InboundMessage) -> list[str]:
    return [r["rule"] for r in row.reasons if r.get("acknowledgement") is False]


def test_forged_senders_of_one_domain_get_at_most_ten_acknowledgements_an_hour(project, alice):
    with time_machine.travel("2026-03-02 09:10Z", tick=True):
        rows = _deliver_all([f"victim{n}@forged.example" for n in range(12)])
        rows += _deliver_all([f"victim{n}@forged.example" for n in range(12, 15)])
    assert [r.state for r in rows] == [Inbound.HELD] * 15
    assert len(_acknowledged()) == 10
    assert all(r.case is not None and r.case.state == "held" for r in rows)
    unanswered = [r for r in rows if r.sender not in _acknowledged()]
    assert len(unanswered) == 5
    assert all(_refused_by(r) == ["acknowledged_enough_for_domain"] for r in unanswered)
    assert "forged.example this hour" in unanswered[0].reasons[-1]["reason"]

    with time_machine.travel("2026-03-02 10:05Z", tick=True):
        _deliver_all(["victim99@forged.example"])
    assert len(_acknowledged()) == 11


def test_forged_senders_of_many_domains_get_at_most_sixty_acknowledgements_an_hour(project, alice):
    with time_machine.travel("2026-03-02 09:10Z", tick=True):
        rows = _deliver_all([f"victim@d{n}.example" for n in range(50)])
        rows += _deliver_all([f"victim@d{n}.example" for n in range(50, 70)])
    assert [r.state for r in rows] == [Inbound.HELD] * 70
    assert len(_acknowledged()) == 60
    unanswered = [r for r in rows if r.sender not in _acknowledged()]
    assert len(unanswered) == 10
    assert all(_refused_by(r) == ["acknowledged_enough_this_hour"] for r in unanswered)


def test_the_hourly_limits_are_the_project_policy_s(project, alice):
    project.policy.acknowledgements_per_domain_per_hour = 2
    project.policy.acknowledgements_per_hour = 3
    project.policy.save()
    with time_machine.travel("2026-03-02 09:10Z", tick=True):
        _deliver_all(["a@one.example", "b@one.example", "c@one.example"])
        _deliver_all(["a@two.example", "b@two.example"])
    assert _acknowledged() == ["a@one.example", "b@one.example", "a@two.example"]


def test_an_acknowledgement_repeats_the_subject_short_and_without_control_characters(
    project, alice
):
    subject = "\x1b]8;;http://evil.example\x1b\\BUY\u202e NOW\x1b]8;;\x1b\\ " + "cheap pills " * 20
    [row] = _deliver_all(["finder@research.example"], subject=subject)
    [ack] = OutgoingMessage.objects.filter(kind="acknowledgement")
    reference = row.case.reference
    assert ack.subject.startswith(f"Auto: [{reference}] ]8;;http://evil.example \\BUY NOW")
    assert ack.subject.endswith("…")
    assert len(ack.subject) == len(f"Auto: [{reference}] ") + 40
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in ack.subject)
    assert "\u202e" not in ack.subject


@pytest.mark.django_db(transaction=True)
def test_the_limits_hold_when_several_processes_read_mail_at_once(project, alice):
    """Each reader counts in the transaction that queues its replies, under
    the count rows' lock: three batches read at once still send ten. On
    PostgreSQL: SQLite takes one writer at a time, and its test database in
    memory cannot make a thread wait for another's lock."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are PostgreSQL's")
    table = security_addresses()
    to = "security@libvirt.example"
    senders = [f"victim{n}@forged.example" for n in range(24)]
    intake.Intake(None).store(
        [intake.Envelope(mail(sender=s), s, [(to, resolve(to, table))]) for s in senders]
    )
    start, failures = threading.Barrier(3), []

    def reader():
        try:
            start.wait()
            intake.Intake(None).process_next(8)
        except Exception as err:
            failures.append(err)
        finally:
            connection.close()

    with time_machine.travel("2026-03-02 09:10Z", tick=True):
        threads = [threading.Thread(target=reader) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    assert InboundMessage.objects.filter(state=Inbound.HELD).count() == 24
    assert len(_acknowledged()) == 10


def _count(project, sender: str):
    """Count one acknowledgement to `sender`, as a batch of held reports does."""
    row = queue.new_row(project=project, to=[sender], subject="", body="", kind="acknowledgement")
    inserts = Inserts()
    inserts.add([row])
    return notices.count_acknowledgements(inserts, project, [row])


def _until_another_session_waits_for_a_lock():
    with connection.cursor() as cursor:
        for _ in range(200):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_two_processes_counting_the_hours_first_acknowledgements_at_once_both_count(project):
    """The hour's first count has no row to lock: the second process waits for
    the first one's, and counts on it, rather than meeting the unique
    constraint (and, with two mail processes, sending its reports to
    quarantine). On PostgreSQL, as above."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are PostgreSQL's")
    counted, errors = threading.Event(), []

    def first():
        try:
            with transaction.atomic():
                _count(project, "victim1@forged.example")
                counted.set()
                _until_another_session_waits_for_a_lock()
        except Exception as err:
            errors.append(err)
        finally:
            connection.close()

    with time_machine.travel("2026-03-02 09:10Z", tick=True):
        thread = threading.Thread(target=first)
        thread.start()
        assert counted.wait(timeout=10)
        with transaction.atomic():
            over = _count(project, "victim2@forged.example")
        thread.join()
    assert errors == [] and over == []
    counts = dict(AcknowledgementCount.objects.values_list("address", "count"))
    assert counts["@forged.example 09:00"] == counts["@* 09:00"] == 2
