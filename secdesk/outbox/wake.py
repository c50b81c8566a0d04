"""Waking the worker when mail is queued, so that it is sent at once and not
at the worker's next tick (every 5 s): a post to a case reaches its 50
members a tenth of a second after its sender's 250 (bench/mail_intake.py,
"delivery"), not 2.5 s later on average.

On PostgreSQL a trigger on the outbox's table notifies the channel
`secdesk_outbox` when rows are written (outbox migration 0002); a notice is
delivered at the commit of the transaction that queued the mail, to every
worker on every host that listens. On SQLite the processes share no such
channel: a worker hears of mail queued in its own process (`secdesk serve`,
everything in one), and of the rest at its next tick.
"""

import logging
import select
import threading
import time

import psycopg
from django.db import connection, transaction
from django.dispatch import Signal

logger = logging.getLogger("secdesk.worker")

CHANNEL = "secdesk_outbox"

# Sent after the commit of a transaction that queued mail, in that process.
queued = Signal()


def announce() -> None:
    """Call when a row is queued: once the transaction commits, the listeners
    of this process hear of it. A process with none (`secdesk mail`, a worker
    on PostgreSQL) pays nothing: the commit hook cost 20 µs a row."""
    if queued.has_listeners():
        transaction.on_commit(_send, robust=True)


def _send() -> None:
    queued.send(sender=None)


class InProcess:
    """Hears of mail queued in this process."""

    def __init__(self):
        self.event = threading.Event()
        queued.connect(self._heard, weak=False)

    def _heard(self, **_):
        self.event.set()

    def wait(self, timeout: float) -> bool:
        """Whether mail was queued since the last call, waiting up to `timeout`."""
        heard = self.event.wait(timeout)
        self.event.clear()
        return heard

    def close(self) -> None:
        queued.disconnect(self._heard)


class Listening:
    """Hears of mail queued anywhere, through PostgreSQL's LISTEN, on a
    connection of its own (Django's may be inside a transaction). When that
    connection is lost (the server restarted), it is opened again at most
    every RECONNECT seconds; mail queued meanwhile is sent at the next tick,
    or at once when the connection is back."""

    RECONNECT = 5.0

    def __init__(self):
        self.connection = None
        self.retry_at = 0.0

    def _connect(self) -> bool:
        if time.monotonic() < self.retry_at:
            return False
        self.retry_at = time.monotonic() + self.RECONNECT
        try:
            self.connection = psycopg.connect(**connection.get_connection_params(), autocommit=True)
            self.connection.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as err:
            logger.warning("cannot listen for queued mail: %s", type(err).__name__)
            self.close()
            return False
        return True

    def wait(self, timeout: float) -> bool:
        """Whether mail was queued since the last call, waiting up to
        `timeout`; True also when the connection has just been opened again,
        as mail may have been queued while it was away."""
        if self.connection is None:
            if self._connect():
                return True
            time.sleep(timeout)
            return False
        try:
            ready, _, _ = select.select([self.connection.fileno()], [], [], timeout)
            # Every notice there is read: one wake-up answers them all.
            return bool(ready) and len(list(self.connection.notifies(timeout=0))) > 0
        except (psycopg.Error, OSError) as err:
            logger.warning("listening for queued mail stopped: %s", type(err).__name__)
            self.close()
            return False

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def listener() -> InProcess | Listening:
    return Listening() if connection.vendor == "postgresql" else InProcess()
