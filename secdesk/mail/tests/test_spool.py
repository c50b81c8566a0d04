"""The spool beside a SQLite database: the daemon writes there before its 250,
the rules move each message into the database under the number its sender
heard, once."""

import contextlib
import os
import re
import smtplib
import socket
import sqlite3
import threading
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from secdesk.cases.models import Case
from secdesk.mail import intake, spool, work
from secdesk.mail.addresses import resolve, security_addresses
from secdesk.mail.daemon import MailServer
from secdesk.mail.models import Inbound, InboundMessage
from secdesk.mail.tests.conftest import mail, read_in_batches
from secdesk.web import report_form


@pytest.fixture
def queue(tmp_path, monkeypatch):
    """A spool for the test's database (which, in memory, has none of its own)."""
    made = spool.Spool(tmp_path / "secdesk.sqlite3-spool")
    monkeypatch.setattr(spool, "beside_database", lambda: made)
    yield made
    made.close()


def _envelope(subject: str) -> intake.Envelope:
    to = "security@libvirt.example"
    return intake.Envelope(
        mail(subject=subject), "finder@research.example", [(to, resolve(to, security_addresses()))]
    )


def _row(subject: str) -> dict:
    envelope = _envelope(subject)
    return {
        "raw": envelope.raw,
        "mail_from": envelope.mail_from,
        "rcpt_tos": [address for address, _ in envelope.recipients],
        "peer": "",
        "received_at": timezone.now(),
        "project_id": envelope.recipients[0][1].project_id,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_mail_waits_in_the_spool_and_reaches_the_database_under_the_number_its_sender_heard(
    project, queue
):
    port = _free_port()
    server = MailServer("127.0.0.1", port).start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.ehlo()
            smtp.mail("finder@research.example")
            smtp.rcpt("security@libvirt.example")
            code, text = smtp.data(mail(subject="Heap overflow in the XML parser"))
        assert code == 250
        number = int(re.search(rb"#(\d+)", text).group(1))
        deadline = time.monotonic() + 30
        while queue.count() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.stop()
    assert queue.count() == 0
    row = InboundMessage.objects.get(pk=number)
    assert row.state == Inbound.HELD
    assert b"Heap overflow in the XML parser" in bytes(row.raw)
    assert row.case.title == "Heap overflow in the XML parser"


def test_a_message_moved_before_a_crash_kept_it_in_the_spool_is_not_read_twice(
    project, queue, monkeypatch
):
    [pk] = intake.Intake(queue).store([_envelope("Heap overflow")])
    assert queue.count() == 1 and not InboundMessage.objects.exists()
    # The move commits, and the process dies before the spool forgets the message.
    monkeypatch.setattr(queue, "drop", lambda ids: None)
    assert intake.Intake(queue).process_next() == 1
    monkeypatch.undo()
    assert queue.count() == 1

    assert intake.Intake(queue).process_next() == 0
    assert queue.count() == 0
    assert InboundMessage.objects.get().pk == pk
    assert Case.objects.count() == 1


def test_a_new_spool_numbers_its_mail_after_the_messages_already_in_the_database(
    project, tmp_path, monkeypatch
):
    before = intake.Intake(None).store([_envelope("one"), _envelope("two")])  # no spool yet
    made = spool.Spool(tmp_path / "new-spool")
    try:
        [pk] = intake.Intake(made).store([_envelope("three")])
    finally:
        made.close()
    assert pk == max(before) + 1


def test_a_message_whose_number_is_taken_is_read_under_a_new_one_and_the_next_keeps_its_own(
    project, queue, monkeypatch, caplog
):
    """Cannot happen while all mail goes through the spool; were it to, nothing
    is lost, nothing read twice, and the numbers after it are not taken too."""
    [pk] = intake.Intake(queue).store([_envelope("spooled")])
    [straight, beyond] = intake.Intake(None).store([_envelope("straight in"), _envelope("beyond")])
    InboundMessage.objects.filter(pk=straight).update(id=pk)  # under the spooled one's number
    InboundMessage.objects.filter(pk=beyond).update(id=pk + 5)  # and one the spool has not reached

    while intake.Intake(queue).process_next():
        pass
    numbers = {row.subject: row.pk for row in InboundMessage.objects.all()}
    assert set(numbers) == {"spooled", "straight in", "beyond"}
    assert numbers["straight in"] == pk and numbers["spooled"] > pk + 5
    assert f"spooled message #{pk}: its number was taken" in caplog.text

    [after] = intake.Intake(queue).store([_envelope("after")])
    while intake.Intake(queue).process_next():
        pass
    assert InboundMessage.objects.get(pk=after).subject == "after"
    assert queue.count() == 0
    assert Case.objects.count() == 4


def test_the_report_form_s_message_is_read_at_once_from_the_spool(project, queue):
    [pk] = intake.Intake(queue).store([_envelope("From the form")])
    assert intake.Intake(queue).process_one(pk) is True
    assert InboundMessage.objects.get(pk=pk).state == Inbound.HELD
    assert queue.count() == 0
    assert intake.Intake(queue).process_one(pk) is False  # read already, by whoever came first


def test_the_report_form_names_its_own_case_never_one_whose_message_took_its_number(
    project, queue, monkeypatch
):
    form = {"name": "Finder", "email": "finder@research.example", "body": "Crash."}
    row = report_form.submit(project, {**form, "subject": "Mine"}, "192.0.2.1")
    assert row.case.title == "Mine" and queue.count() == 0

    # The next number is given to another message first (which cannot happen
    # while all mail goes through the spool).
    [other] = intake.Intake(None).store([_envelope("Someone else's")])
    InboundMessage.objects.filter(pk=other).update(id=row.pk + 1)
    intake.Intake(None).process_pending()
    assert report_form.submit(project, {**form, "subject": "Mine too"}, "192.0.2.1") is None
    intake.Intake(queue).process_pending()  # as the daemon's rules do: under its new number
    assert InboundMessage.objects.filter(subject="Mine too", state=Inbound.HELD).exists()


@pytest.mark.django_db(transaction=True)
def test_threads_that_open_a_new_spool_at_once_all_store_their_mail(project, tmp_path):
    """The daemon's writer and the rules open the spool together when it is new."""
    made = spool.Spool(tmp_path / "new-spool")
    start, stored, failed = threading.Barrier(8), [], []

    def writer(n: int) -> None:
        start.wait()
        try:
            stored.extend(made.put([_row(f"report {n}")]))
        except Exception as err:
            failed.append(err)
        finally:
            made.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failed, failed
    assert sorted(stored) == sorted(set(stored)) and len(stored) == 8


@pytest.mark.django_db(transaction=True)
def test_a_spool_opened_while_another_connection_writes_the_new_file_waits_its_turn(
    project, tmp_path
):
    """The other connection has made the file and is turning it to WAL: SQLite
    answers "locked" at once, without waiting, to one that asks the same."""
    path = tmp_path / "new-spool"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.executescript(spool.SCHEMA)
    other.execute("BEGIN IMMEDIATE")
    done = threading.Timer(0.2, other.execute, ["COMMIT"])
    done.start()
    made = spool.Spool(path)
    try:
        assert made.put([_row("report")])
        assert made.count() == 1
        assert made._connection().execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        done.join()
        made.close()
        other.close()


def test_a_batch_from_the_spool_stops_at_its_share_of_memory_but_always_takes_one_message(
    project, queue, monkeypatch
):
    # Five messages of their own (one sent twice would be read once).
    smalls = [_envelope(f"small {n}") for n in range(4)]
    large = _envelope("large 0")
    large.raw += b"x" * 20000
    intake.Intake(queue).store([*smalls[:3], large, smalls[3]])
    reader = intake.Intake(queue, batch_bytes=2 * len(smalls[0].raw) + 100)
    batches = read_in_batches(monkeypatch, reader)
    assert [len(rows) for rows in batches] == [2, 1, 1, 1]
    assert queue.count() == 0
    assert InboundMessage.objects.filter(state=Inbound.HELD).count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_spooled_message_that_cannot_be_moved_holds_up_no_other(project, queue, caplog):
    orphan = {**_row("orphan"), "project_id": project.pk + 1000}  # its project is gone
    queue.put([_row("first"), orphan, _row("second")])
    while intake.Intake(queue).process_next():
        pass
    assert sorted(InboundMessage.objects.values_list("subject", flat=True)) == ["first", "second"]
    assert queue.count() == 1  # kept, for a person to look at
    assert "cannot be moved into the database" in caplog.text


def test_mail_moves_from_the_spool_with_every_query_logged(project, queue):
    """As with SECDESK_DEBUG: Django's debug cursor formats each statement."""
    intake.Intake(queue).store([_envelope("logged")])
    with CaptureQueriesContext(connection) as queries:
        assert intake.Intake(queue).process_next() == 1
    assert any("mail_inboundmessage" in query["sql"] for query in queries)


def test_mail_stored_after_the_spool_file_was_removed_goes_into_the_new_one(project, tmp_path):
    made = spool.Spool(tmp_path / "spool")
    try:
        made.put([_row("before")])
        for name in ("spool", "spool-wal", "spool-shm"):
            (tmp_path / name).unlink(missing_ok=True)
        [pk] = made.put([_row("after")])
    finally:
        made.close()
    fresh = spool.Spool(tmp_path / "spool")
    try:
        assert [s.id for s in fresh.oldest(10)] == [pk]
    finally:
        fresh.close()


def test_a_batch_of_stored_and_spooled_mail_stops_at_its_share_of_memory(
    project, queue, monkeypatch
):
    [stored] = intake.Intake(None).store([_envelope("stored")])  # released from quarantine, say
    spooled = [_envelope(f"spooled {n}") for n in range(3)]
    numbers = intake.Intake(queue).store(spooled)
    size = InboundMessage.objects.get(pk=stored).size
    # Room for exactly two: the stored one and the first spooled one.
    reader = intake.Intake(queue, batch_bytes=size + len(spooled[0].raw))
    batches = [[row.pk for row in rows] for rows in read_in_batches(monkeypatch, reader)]
    assert batches[0] == [stored, numbers[0]]
    assert [pk for batch in batches for pk in batch] == [stored, *numbers]


@pytest.mark.django_db(transaction=True)
def test_a_batch_full_of_mail_that_cannot_be_moved_holds_up_no_other(project, queue):
    orphan = {**_row("orphan"), "project_id": project.pk + 1000}
    queue.put([orphan, orphan, _row("behind them")])
    while intake.Intake(queue).process_next(2):
        pass
    assert list(InboundMessage.objects.values_list("subject", flat=True)) == ["behind them"]
    assert queue.count() == 2


def test_forgetting_moved_mail_never_removes_another_message_that_has_its_number_since(
    project, tmp_path
):
    made = spool.Spool(tmp_path / "spool")
    try:
        [first] = made.put([_row("read")])
        [read] = made.oldest(10)
        for name in ("spool", "spool-wal", "spool-shm"):  # the file replaced
            (tmp_path / name).unlink(missing_ok=True)
        [second] = made.put([_row("stored since")])
        assert second == first
        made.drop([read])
        made.renumber([read])
        assert [s.stamp for s in made.oldest(10)] == [_stamp(made, second)]
        assert made.count() == 1
    finally:
        made.close()


def _stamp(made, number) -> str:
    [found] = made.oldest(1, ids=[number])
    return found.stamp


def test_a_claim_that_finds_only_mail_moved_before_a_crash_reads_on(project, queue):
    intake.Intake(queue).store([_envelope("one")])
    queue.drop = lambda messages: None  # the process dies before the spool forgets
    assert intake.Intake(queue).process_next() == 1
    del queue.drop
    intake.Intake(queue).store([_envelope("two")])
    assert intake.Intake(queue).process_next() == 1  # "one" forgotten, "two" read, in one call
    assert queue.count() == 0


def test_mail_in_the_database_is_read_while_the_spool_cannot_be_read(
    project, queue, monkeypatch, caplog
):
    [pk] = intake.Intake(None).store([_envelope("stored")])

    def unreadable(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(queue, "oldest", unreadable)
    assert intake.Intake(queue).process_next() == 1
    assert InboundMessage.objects.get(pk=pk).state == Inbound.HELD
    assert "the mail spool cannot be read" in caplog.text


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL has no spool")
def test_two_names_for_one_database_share_one_spool_file_and_a_database_in_memory_has_none(
    tmp_path, monkeypatch
):
    monkeypatch.setitem(connection.settings_dict, "NAME", ":memory:")
    assert spool.beside_database() is None
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secdesk.sqlite3").touch()
    (tmp_path / "link").symlink_to(tmp_path / "data")
    monkeypatch.setitem(connection.settings_dict, "NAME", str(tmp_path / "link/secdesk.sqlite3"))
    through_link = spool.beside_database()
    monkeypatch.setitem(connection.settings_dict, "NAME", tmp_path / "data" / "secdesk.sqlite3")
    direct = spool.beside_database()
    assert direct.path == through_link.path == str(tmp_path / "data" / "secdesk.sqlite3-spool")


def _flood(queue, megabytes: int) -> list[spool.Spooled]:
    """A backlog of large messages, stored and then moved on: the spool holds
    none of them any more, and its file is as large as it was at their peak."""
    row = {**_row("Attached: a core dump"), "raw": b"x" * 1024 * 1024}
    queue.put([row] * megabytes)
    moved = queue.oldest(megabytes)
    queue.drop(moved)
    return moved


def _file_size(queue) -> int:
    with contextlib.closing(sqlite3.connect(queue.path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return os.path.getsize(queue.path)


def test_the_worker_gives_back_what_a_drained_flood_left_free_a_step_at_a_time(
    project, queue, monkeypatch
):
    monkeypatch.setattr(spool, "SHRINK_AFTER", 4 * 1024 * 1024)
    monkeypatch.setattr(spool, "SHRINK_STEP", 8 * 1024 * 1024)
    flood = _flood(queue, 40)
    assert _file_size(queue) > 40 * 1024 * 1024

    steps = []
    while freed := work.tick()["spool_freed"]:
        steps.append(freed)
    assert len(steps) >= 4 and max(steps) <= 8 * 1024 * 1024
    assert sum(steps) > 32 * 1024 * 1024
    assert _file_size(queue) < 6 * 1024 * 1024
    # The numbers go on from where they were.
    assert queue.put([_row("After the flood")]) == [flood[-1].id + 1]


def test_a_spool_under_its_threshold_or_locked_by_a_writer_is_left_as_it_is(
    project, queue, monkeypatch
):
    monkeypatch.setattr(spool, "SHRINK_AFTER", 8 * 1024 * 1024)
    _flood(queue, 6)
    assert queue.shrink() == 0

    _flood(queue, 12)
    with contextlib.closing(sqlite3.connect(queue.path, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        assert queue.shrink() == 0
        writer.execute("ROLLBACK")
    assert queue.shrink() > 8 * 1024 * 1024


def test_a_spool_file_made_without_room_to_shrink_is_still_read_and_never_shrunk(project, tmp_path):
    path = tmp_path / "old-spool"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript(spool.SCHEMA)
    old = spool.Spool(path)
    try:
        [pk] = old.put([_row("Kept in an old spool")])
        assert [m.id for m in old.oldest(10)] == [pk]
        old.drop(old.oldest(10))
        assert old.shrink() == 0
    finally:
        old.close()
