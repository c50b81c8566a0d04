"""The mail intake daemon: SMTP or LMTP on aiosmtpd.

aiosmtpd runs its own event loop in a thread. The database is never touched on
that loop: recipient lookups run in a small thread pool, and storing runs in
one writer thread that commits the messages of concurrent sessions together
(a group commit) before any of them gets its 250: into the spool beside a
SQLite database (see `spool`), or into PostgreSQL. The rules run on what was
stored, a batch at a time: in a thread of this process (`secdesk serve`, one
process for everything), or in a process of their own (`secdesk mail`), so
that reading mail and storing it use two cores instead of sharing one
interpreter lock. If the message cannot be stored the answer is 451 and the
sender tries again later; nothing is acknowledged that is not committed.
"""

import asyncio
import collections
import contextlib
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from secdesk.mail import addresses, intake, rules_process, spool
from secdesk.mail.intake import Intake

logger = logging.getLogger("secdesk.mail")


TOO_BIG = (
    "552 5.3.4 Message too big: secdesk accepts at most {mb} MB. "
    "Send large files as a link in a smaller message."
)
# RFC 5321 §4.5.3.1.10: a temporary refusal, so that a list server sends the
# rest in another message; the recipients taken so far still get this one.
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
STORE_FAILED = "451 4.3.0 The message could not be stored just now; please try again later"


class _Clearer:
    """aiosmtpd's own size refusals, in words a sender can act on."""

    async def push(self, status):
        if isinstance(status, str) and status.startswith("552 Error:"):
            status = TOO_BIG.format(mb=self.data_size_limit // (1024 * 1024))
        await super().push(status)


class IntakeSMTP(_Clearer, SMTP):
    pass


class IntakeLMTP(_Clearer, LMTP):
    pass


class Directory:
    """The addresses we answer to, cached; read again on a miss (a new project)."""

    REFRESH = 30.0

    def __init__(self):
        self.table, self.read_at = {}, 0.0
        self.lock = threading.Lock()

    def cached(self, address: str):
        """A known address, from memory, without touching the database."""
        if time.monotonic() - self.read_at > self.REFRESH:
            return None
        return addresses.resolve(address, self.table)

    def resolve(self, address: str):
        with self.lock:
            found = addresses.resolve(address, self.table)
            if found is None or time.monotonic() - self.read_at > self.REFRESH:
                close_old_connections()
                try:
                    self.table = addresses.security_addresses()
                except DatabaseError:
                    connection.close()
                    raise
                self.read_at = time.monotonic()
                found = addresses.resolve(address, self.table)
            return found


class Writer(threading.Thread):
    """Stores messages, committing those that arrive together in one transaction.

    Each SMTP session waits on an asyncio future of the event loop; the writer
    settles a whole batch's futures with one call into the loop, rather than
    waking the loop once per message."""

    BATCH = 64

    def __init__(self, intake_: Intake, stored, watchdog=None):
        super().__init__(name="mail-writer", daemon=True)
        self.intake = intake_
        self.pending: collections.deque = collections.deque()
        self.arrived = threading.Event()
        # Set after each commit: an Event of this process or of the rules process.
        self.stored = stored
        self.watchdog = watchdog
        self.watched_at = 0.0
        self.stopping = threading.Event()
        self.last_submit = 0.0
        self.writing = False

    def submit(self, envelope: intake.Envelope) -> asyncio.Future:
        """On the event loop: a future of the message's number once it is stored."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.last_submit = time.monotonic()
        self.pending.append((envelope, future, loop))
        self.arrived.set()
        return future

    def quiet_for(self, seconds: float) -> bool:
        return not self.pending and time.monotonic() - self.last_submit >= seconds

    def idle(self) -> bool:
        """Nothing waiting to be stored, and nothing being stored."""
        return not self.pending and not self.writing

    def run(self):
        _closing_after(self.intake, self._run)

    def _run(self):
        # On stop, what is queued is still written: its senders are waiting.
        while not self.stopping.is_set() or self.pending:
            if self.watchdog is not None and time.monotonic() - self.watched_at > 1.0:
                # Also under a stream without pauses: a dead rules process is
                # started again within a second, not when the mail stops.
                self.watched_at = time.monotonic()
                try:
                    self.watchdog()
                except Exception as err:
                    logger.error("mail rules process: %s", type(err).__name__)
            if not self.pending:
                self.arrived.wait(0.5)
                # Cleared before looking again: a message submitted from here
                # on sets it anew, one submitted before is seen below.
                self.arrived.clear()
                continue
            # Marked before the batch leaves `pending`, so that stopping never
            # sees the writer idle with a batch in hand.
            self.writing = True
            try:
                batch = []
                while self.pending and len(batch) < self.BATCH:
                    batch.append(self.pending.popleft())
                self._write(batch)
            finally:
                self.writing = False

    def _write(self, batch):
        numbers, error = [], None
        try:
            close_old_connections()
            ids = self.intake.store([envelope for envelope, _, _ in batch])
            self.stored.set()
            # One envelope may make several rows (one per project): the first id names it.
            position = 0
            for envelope, _, _ in batch:
                numbers.append(ids[position] if position < len(ids) else None)
                position += len({r.project_id for _, r in envelope.recipients})
        except Exception as err:
            # Whatever failed, every session of the batch hears it (451): none waits on.
            # The connections are opened again for the next batch.
            with contextlib.suppress(Exception):
                self.intake.close()
            with contextlib.suppress(Exception):
                connection.close()
            logger.error("storing %d message(s) failed: %s", len(batch), type(err).__name__)
            error = err
        loop = batch[0][2]
        with contextlib.suppress(RuntimeError):  # the loop has stopped: no one waits
            loop.call_soon_threadsafe(_settle, batch, numbers, error)


def _closing_after(intake_: Intake, run) -> None:
    """A thread's body, then its connections closed (the database's, the spool's)."""
    try:
        run()
    finally:
        intake_.close()
        connection.close()


def _settle(batch, numbers, error) -> None:
    """On the event loop: each session of a batch learns how storing went."""
    for n, (_, future, _) in enumerate(batch):
        if future.done():
            continue  # the session has gone
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(numbers[n])


def read_stored(intake_: Intake, stopping, wait_for_a_pause=None, gather=None) -> None:
    """Run the rules on what is stored, until nothing is left or `stopping` is
    set. `gather`, if given, is called after a batch that was not full: mail
    is still arriving a few messages at a time, and a moment's wait lets the
    next batch fill (a batch costs much the same for 5 messages as for 50)."""
    try:
        close_old_connections()
        intake.recover_interrupted()
        while not stopping.is_set():
            if wait_for_a_pause is not None:
                wait_for_a_pause()
            read = intake_.process_next()
            if not read:
                break
            if read < intake_.batch and gather is not None:
                gather()
    except Exception as err:
        connection.close()
        logger.error("mail rules: %s", type(err).__name__)
        logger.debug("mail rules failed", exc_info=True)
        stopping.wait(2.0)


class Processor(threading.Thread):
    """Runs the rules on stored mail, as soon as it is stored, in this process."""

    # Storing comes first: while mail is arriving, the rules wait for a pause,
    # so that a sender never waits for the rules to free the database. Under
    # a stream without pauses they still get a batch in every LONGEST_WAIT,
    # or a flood would hold back every report (and its acknowledgement) until
    # it ended.
    PAUSE = 0.05
    LONGEST_WAIT = 1.0

    def __init__(self, intake_: Intake, stored: threading.Event, writer: Writer):
        super().__init__(name="mail-rules", daemon=True)
        self.intake = intake_
        self.stored = stored
        self.writer = writer
        self.stopping = threading.Event()

    def _wait_for_a_pause(self):
        deadline = time.monotonic() + self.LONGEST_WAIT
        while not self.stopping.is_set() and not self.writer.quiet_for(self.PAUSE):
            if time.monotonic() >= deadline:
                return
            time.sleep(self.PAUSE / 2)

    def run(self):
        _closing_after(self.intake, self._run)

    def _run(self):
        while not self.stopping.is_set():
            self.stored.wait(timeout=2.0)
            self.stored.clear()
            read_stored(self.intake, self.stopping, self._wait_for_a_pause)

    def stop(self):
        self.stopping.set()
        self.stored.set()
        self.join(timeout=30)


class _Wake:
    """The parent's end of the pipe to the rules process: `set()` never blocks."""

    def __init__(self):
        self.connection = None

    def attach(self, connection):
        if self.connection is not None:
            self.connection.close()
        os.set_blocking(connection.fileno(), False)
        self.connection = connection

    def set(self):
        # A full pipe means the child has wake-ups enough; a broken one, that
        # it is gone (the watchdog starts another).
        with contextlib.suppress(OSError):
            self.connection.send_bytes(b"!")


class RulesProcess:
    """The rules in a child process; started again if it dies."""

    def __init__(self):
        self.context = multiprocessing.get_context("spawn")
        self.process = None
        self.stored = _Wake()
        self.stopping = False

    def start(self):
        theirs, ours = self.context.Pipe(duplex=False)
        self.process = self.context.Process(
            target=rules_process.main, args=(theirs,), name="secdesk-mail-rules", daemon=True
        )
        self.process.start()
        theirs.close()
        self.stored.attach(ours)
        return self

    def watch(self):
        if not self.stopping and self.process is not None and not self.process.is_alive():
            logger.error(
                "the mail rules process ended (exit %s); starting it again",
                self.process.exitcode,
            )
            self.start()
            self.stored.set()

    def stop(self):
        self.stopping = True
        process, self.process = self.process, None
        self.stored.connection.close()
        if process is not None:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)


class Handler:
    def __init__(self, writer: Writer, lmtp: bool):
        self.writer = writer
        self.lmtp = lmtp
        self.directory = Directory()
        # One thread: the addresses are cached, a lookup is rare, and at the end
        # the thread that holds the lookups' database connection closes it.
        self.lookups = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail-lookup")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if len(envelope.rcpt_tos) >= settings.MAIL_MAX_RECIPIENTS:
            return TOO_MANY_RECIPIENTS
        loop = asyncio.get_running_loop()
        try:
            found = self.directory.cached(address)
            if found is None:
                found = await loop.run_in_executor(self.lookups, self.directory.resolve, address)
        except DatabaseError:
            return "451 4.3.0 Addresses cannot be checked just now; please try again later"
        if found is None:
            return f"550 5.1.1 <{address}>: no such address here"
        envelope.rcpt_tos.append(address)
        if not hasattr(envelope, "resolved"):
            envelope.resolved = []
        envelope.resolved.append((address, found))
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        stored = self.writer.submit(
            intake.Envelope(
                raw=bytes(envelope.original_content),
                mail_from=envelope.mail_from or "",
                recipients=list(envelope.resolved),
                peer=str(session.peer[0]) if session.peer else "",
            )
        )
        try:
            number = await stored
            status = f"250 2.0.0 Stored as #{number}"
        except Exception:
            status = STORE_FAILED
        if self.lmtp:
            # LMTP answers once per recipient (RFC 2033 §4.2).
            return "\r\n".join([status] * len(envelope.rcpt_tos))
        return status


class _Controller(Controller):
    def __init__(self, handler, *, lmtp: bool, **kwargs):
        self.lmtp = lmtp
        super().__init__(handler, **kwargs)

    def factory(self):
        server_class = IntakeLMTP if self.lmtp else IntakeSMTP
        return server_class(self.handler, **self.SMTP_kwargs)


class MailServer:
    """The intake: SMTP (or LMTP) sessions, the writer, and the rules, in a thread
    of this process or, with `rules_process`, in a child process."""

    def __init__(self, host: str, port: int, *, lmtp: bool = False, rules_process: bool = False):
        # The daemon's intake: its threads share the spool (each with a
        # connection of its own); a rules process makes its own.
        self.intake = Intake(spool.beside_database())
        if rules_process:
            self.rules = RulesProcess()
            self.writer = Writer(self.intake, self.rules.stored, watchdog=self.rules.watch)
        else:
            self.writer = Writer(self.intake, threading.Event())
            self.rules = Processor(self.intake, self.writer.stored, self.writer)
        self.handler = Handler(self.writer, lmtp)
        self.controller = _Controller(
            self.handler,
            lmtp=lmtp,
            hostname=host,
            port=port,
            data_size_limit=settings.MAIL_MAX_BYTES,
            decode_data=False,
            enable_SMTPUTF8=True,
            ident="secdesk",
        )

    def start(self) -> "MailServer":
        self.writer.start()
        # The port first: if it cannot be had, there is no rules process to end.
        self.controller.start()
        try:
            self.rules.start()
        except BaseException:
            self.controller.stop()
            raise
        # Whatever was stored before a restart and not yet read is read now.
        self.rules.stored.set()
        return self

    # How long stopping waits for what is being stored to be answered.
    DRAIN_FOR_AT_MOST = 30.0

    def stop(self):
        # No new connections; what sessions have handed over is stored and
        # answered while their connections are still open; then the sessions end.
        with contextlib.suppress(RuntimeError, AttributeError):
            self.controller.loop.call_soon_threadsafe(self.controller.server.close)
        deadline = time.monotonic() + self.DRAIN_FOR_AT_MOST
        while not self.writer.idle() and time.monotonic() < deadline:
            time.sleep(0.01)
        self._answered()
        # What is stored and not yet read is read at the next start (or by the worker).
        self.controller.stop()
        self.rules.stop()
        self.writer.stopping.set()
        self.writer.arrived.set()
        self.writer.join(timeout=10)
        with contextlib.suppress(TimeoutError):
            # `connection` names the calling thread's: looked up in the pool's.
            self.handler.lookups.submit(lambda: connection.close()).result(timeout=5)
        self.handler.lookups.shutdown(wait=False)

    def _answered(self) -> None:
        """Let the event loop run until the sessions settled last have sent their
        replies (the futures' callbacks, then the sessions' writes, and one more)."""
        for _ in range(3):
            turned = threading.Event()
            try:
                self.controller.loop.call_soon_threadsafe(turned.set)
            except RuntimeError:
                return
            turned.wait(timeout=1.0)
