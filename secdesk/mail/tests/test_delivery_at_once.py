"""Mail is sent as soon as it is queued, not at the worker's next tick: the
worker hears of it when the transaction that queued it commits (PostgreSQL's
LISTEN, or an event in this process on SQLite)."""

import threading
import time

import pytest
from django.db import connection, transaction

from secdesk import worker
from secdesk.outbox import queue, wake


def _queue(project, subject="Advisory"):
    queue.enqueue(
        project=project,
        to=["announce@libvirt.example"],
        subject=subject,
        body="text",
        kind="announcement",
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_hears_of_queued_mail_once_it_is_committed_and_once_only(project):
    listener = wake.listener()
    try:
        listener.wait(0)  # on PostgreSQL, the LISTEN connection is opened
        with transaction.atomic():
            _queue(project)
            assert not listener.wait(0.1), "heard before the commit"
        assert listener.wait(10)
        assert not listener.wait(0.1)
        with transaction.atomic():
            _queue(project, "rolled back")
            transaction.set_rollback(True)
        assert not listener.wait(0.1), "heard of mail that was never queued"
    finally:
        listener.close()


def _wait_for(condition):
    deadline = time.monotonic() + 30
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert condition()


@pytest.mark.django_db(transaction=True)
def test_mail_queued_between_ticks_is_sent_before_the_next_tick(project, sink, settings):
    """On PostgreSQL: the worker runs in a thread beside the test, and SQLite's
    test database in memory locks a table for a thread while another writes
    (`database table is locked`) rather than waiting. The in-process wake-up on
    SQLite is the listener's, above."""
    if connection.vendor != "postgresql":
        pytest.skip("two threads writing at once are PostgreSQL's")
    settings.SMTP_RELAY = ("127.0.0.1", sink.port)
    stop = threading.Event()
    # An hour between ticks: only the wake-up can send the mail within the test.
    running = threading.Thread(target=worker.run, args=(stop, 3600.0))
    running.start()
    try:
        # The first tick ends with its mail: the audit trail's anchor to root.
        _wait_for(lambda: sink.to("root@example.org"))
        with transaction.atomic():
            _queue(project)
        _wait_for(lambda: sink.to("announce@libvirt.example"))
        assert len(sink.to("announce@libvirt.example")) == 1
    finally:
        stop.set()
        running.join()
