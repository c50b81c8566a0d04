"""The mail spool: on SQLite, where the intake daemon writes each message before
its 250, in a database file of its own beside the main one.

SQLite lets one connection at a time write to a database file, and a write
locks the whole file. With one file, the daemon's commit waited whenever the
rules were writing a batch of reports, and every sender waited with it: under
a steady stream the daemon spent a third of its time waiting for that lock,
and so did any long write of the web or the worker (publishing an advisory,
say) hold up the security address. The spool is a queue in the manner of an
MTA's (or of Mailman's incoming queue): the daemon is its only writer of new
mail, so its commits wait for nothing but the disk.

The rules move messages from the spool into the database in the transaction
that claims them (`claim.claim`), under the number the sender was given
(the spool's id is the message's id), and then drop them from the spool. A
crash between the two leaves a message in both places: the next move finds
it in the database already, with the same content, and only drops it. The
spool's numbers never run behind the database's (`_seed`), so a number is
never given twice.

PostgreSQL locks rows, not the database: there the daemon writes straight
into the database and there is no spool. Nor is there one for a database in
memory (the tests'), which no other process could share.
"""

import contextlib
import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.db import connection

from secdesk.lib import private

SCHEMA = """
CREATE TABLE IF NOT EXISTS mail (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    raw BLOB NOT NULL,
    mail_from TEXT NOT NULL,
    rcpt_tos TEXT NOT NULL,
    peer TEXT NOT NULL,
    received_at TEXT NOT NULL,
    project_id INTEGER NOT NULL
);
-- Messages that could not be moved into the database: left out of claims
-- until the time (seconds since the epoch) given here.
CREATE TABLE IF NOT EXISTS set_aside (
    id INTEGER PRIMARY KEY,
    until REAL NOT NULL
);
"""

JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024

# Once a drained backlog has left this much of the file free, `shrink` gives
# it back to the file system, at most SHRINK_STEP at a time.
SHRINK_AFTER = 64 * 1024 * 1024
SHRINK_STEP = 64 * 1024 * 1024
# What `PRAGMA auto_vacuum` says of a file made to shrink (0 is none, 1 full).
INCREMENTAL = 2


def _last_stored() -> int:
    """The database's highest message number."""
    from secdesk.mail.models import InboundMessage

    return InboundMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# How long a write of mail waits for SQLite's lock (the spool's, held only for
# a moment by the other writer: the daemon adding mail, or the rules dropping
# what they moved; or the database's) before it fails, and senders get a 451.
BUSY_FOR_AT_MOST = 20.0


def begin_immediate(db) -> None:
    """BEGIN IMMEDIATE on a SQLite connection or cursor whose busy timeout is 0,
    tried again every half millisecond while another connection holds the
    lock: SQLite's busy handler sleeps 1, 2, 5, 10 … ms between tries, while
    every sender waits for its 250."""
    _while_locked(db, "BEGIN IMMEDIATE")


def _while_locked(db, statement: str):
    """Run `statement`, again every half millisecond while SQLite finds the
    file locked, for at most BUSY_FOR_AT_MOST; its cursor."""
    give_up = time.monotonic() + BUSY_FOR_AT_MOST
    while True:
        try:
            return db.execute(statement)
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > give_up:
                raise
        time.sleep(0.0005)


@dataclass
class Spooled:
    id: int
    raw: bytes
    mail_from: str
    rcpt_tos: list[str]
    peer: str
    received_at: datetime
    project_id: int
    # The time as the spool holds it: with the id and the size, what names
    # this very message when the spool is asked to forget or renumber it.
    stamp: str = ""

    @property
    def key(self) -> tuple[int, str, int]:
        return self.id, self.stamp, len(self.raw)


# A row of the spool is the message that was read only if all of these match:
# after a spool file was replaced, the same number may name another message.
_SAME = "id = ? AND received_at = ? AND length(raw) = ?"


class Spool:
    """One spool file; each thread that uses it has a connection of its own."""

    def __init__(self, path: Path | str):
        self.path = str(path)
        self.local = threading.local()
        # The writers of this process take turns here, not in SQLite's busy
        # handler, which sleeps longer each time it finds the file locked.
        self.writes = threading.Lock()

    def _identity(self) -> tuple[int, int] | None:
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return None
        return found.st_dev, found.st_ino

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self.local, "connection", None)
        if db is not None and not self._same_file():
            # The file was removed or replaced under us (a restore, a careless
            # clean-up): a 250 said for mail written into the old one would
            # be a lie. The next connection opens (or makes) the file there.
            self.close()
            db = None
        if db is None:
            # Private before SQLite makes it 0644 (its -wal and -shm files take
            # the mode of this one): it holds raw mail.
            private.create_file(self.path)
            # Patient while it is set up: another connection may be creating the file.
            db = sqlite3.connect(
                self.path, timeout=BUSY_FOR_AT_MOST, isolation_level=None, check_same_thread=False
            )
            try:
                # Before anything else is written to a new file (on a file made
                # without it, this does nothing): free pages can be given back.
                db.execute("PRAGMA auto_vacuum=INCREMENTAL")
                # WAL with FULL sync, as the main database: a 250 survives a power cut.
                # Two connections turning a new file to WAL at once: SQLite
                # answers one of them "locked" without its busy handler (waiting
                # could deadlock), so that one asks again.
                [(mode,)] = _while_locked(db, "PRAGMA journal_mode=WAL").fetchall()
                if mode != "wal":
                    raise sqlite3.OperationalError(f"the mail spool stayed in {mode} mode")
                db.execute("PRAGMA synchronous=FULL")
                db.executescript(SCHEMA)
                # The file as it is now, before anything below can wait.
                self.local.identity = self._identity()
                # After a burst of large mail, the log is cut back to this size.
                db.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
                # From here on, writes wait in `_writing`, not in SQLite's busy handler.
                db.execute("PRAGMA busy_timeout=0")
                self._seed(db)
            except BaseException:
                db.close()
                raise
            self.local.connection = db
        return db

    def _same_file(self) -> bool:
        """Whether the file at the path is still the one this thread has open."""
        now = self._identity()
        return now is not None and now == getattr(self.local, "identity", None)

    def _seed(self, db: sqlite3.Connection) -> None:
        """Start the spool's numbers after the database's last message: a new
        spool beside an old database (or after a restore) must not hand out a
        number that a stored message already has."""
        with self._writing(db):
            self._after(db, _last_stored())

    @staticmethod
    def _after(db: sqlite3.Connection, last: int) -> None:
        """Inside a write: the next number is above `last`."""
        row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'mail'").fetchone()
        if row is None:
            db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('mail', ?)", (last,))
        elif row[0] < last:
            db.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'mail'", (last,))

    @contextlib.contextmanager
    def _writing(self, db: sqlite3.Connection):
        """One write transaction: BEGIN IMMEDIATE, tried again every half
        millisecond while the other process holds the lock."""
        with self.writes:
            begin_immediate(db)
            try:
                yield
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise

    def put(self, rows: list[dict]) -> list[int]:
        """Write messages durably, in one transaction; their ids, in order."""
        values = [
            (
                row["raw"],
                row["mail_from"],
                json.dumps(row["rcpt_tos"]),
                row["peer"],
                row["received_at"].astimezone(UTC).isoformat(),
                row["project_id"],
            )
            for row in rows
        ]
        db = self._connection()
        with self._writing(db):
            ids = [
                db.execute(
                    "INSERT INTO mail (raw, mail_from, rcpt_tos, peer, received_at, project_id) "
                    "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    value,
                ).fetchone()[0]
                for value in values
            ]
        if not self._same_file():
            # Removed or replaced while this was written: no 250 for it (the
            # sender tries again, and the next write opens the file there now).
            self.close()
            raise sqlite3.OperationalError("the mail spool file was removed or replaced")
        return ids

    def oldest(
        self, limit: int, max_bytes: int | None = None, ids: list[int] | None = None
    ) -> list[Spooled]:
        """Up to `limit` messages, oldest first, of at most `max_bytes` together
        (but one at least), leaving out those set aside; or those of `ids`
        still here."""
        db = self._connection()
        columns = "id, raw, mail_from, rcpt_tos, peer, received_at, project_id"
        if ids is None:
            found = db.execute(
                f"SELECT {columns} FROM mail WHERE id NOT IN "  # noqa: S608
                "(SELECT id FROM set_aside WHERE until > ?) ORDER BY id LIMIT ?",
                [time.time(), limit],
            )
        else:
            marks = ", ".join("?" * len(ids))
            found = db.execute(f"SELECT {columns} FROM mail WHERE id IN ({marks})", ids)  # noqa: S608
        taken, size = [], 0
        # Row by row: reading stops at the first message that does not fit.
        for pk, raw, mail_from, rcpt_tos, peer, received_at, project_id in found:
            size += len(raw)
            if max_bytes is not None and taken and size > max_bytes:
                break
            taken.append(
                Spooled(
                    id=pk,
                    raw=bytes(raw),
                    mail_from=mail_from,
                    rcpt_tos=json.loads(rcpt_tos),
                    peer=peer,
                    received_at=datetime.fromisoformat(received_at),
                    project_id=project_id,
                    stamp=received_at,
                )
            )
        found.close()
        return taken

    def set_aside(self, message: Spooled, seconds: float) -> None:
        """Leave a message out of `oldest` for `seconds`: it cannot be moved
        into the database just now, and must hold up no other mail."""
        db = self._connection()
        now = time.time()
        with self._writing(db):
            db.execute("DELETE FROM set_aside WHERE until <= ?", (now,))
            db.execute(
                "INSERT OR REPLACE INTO set_aside (id, until) VALUES (?, ?)",
                (message.id, now + seconds),
            )

    def drop(self, messages: list[Spooled]) -> None:
        """Forget messages that are in the database now: each the very message
        that was read, never another that has its number since."""
        if not messages:
            return
        db = self._connection()
        with self._writing(db):
            db.executemany(f"DELETE FROM mail WHERE {_SAME}", [m.key for m in messages])  # noqa: S608

    def renumber(self, messages: list[Spooled]) -> dict[int, int]:
        """Give messages new numbers, above every number the database has. For
        a message whose number a different stored message has: that cannot
        happen while all mail comes through this spool, but were it to, the
        message is kept, and read under its new number. Returns old → new."""
        if not messages:
            return {}
        last = _last_stored()
        db = self._connection()
        columns = "raw, mail_from, rcpt_tos, peer, received_at, project_id"
        new = {}
        with self._writing(db):
            self._after(db, last)
            for message in messages:
                found = db.execute(
                    f"INSERT INTO mail ({columns}) SELECT {columns} FROM mail WHERE {_SAME} "  # noqa: S608
                    "RETURNING id",
                    message.key,
                ).fetchone()
                if found is not None:
                    db.execute(f"DELETE FROM mail WHERE {_SAME}", message.key)  # noqa: S608
                    new[message.id] = found[0]
        return new

    def shrink(self) -> int:
        """Give back to the file system pages that a drained backlog left free,
        once they add up to SHRINK_AFTER, and at most SHRINK_STEP of them: the
        pages of a flood of large mail are reused for later mail, but without
        this the file would keep its peak size for good. It holds the spool's
        lock for a moment (0.2–0.3 s per 64 MB on a test machine), so the worker
        calls it once a tick; while another writer holds the lock, it waits for
        the next tick. Returns how many bytes the file gives back (at its next
        checkpoint)."""
        db = self._connection()
        [(vacuum,)] = db.execute("PRAGMA auto_vacuum").fetchall()
        [(page,)] = db.execute("PRAGMA page_size").fetchall()
        [(free,)] = db.execute("PRAGMA freelist_count").fetchall()
        if vacuum != INCREMENTAL or free * page < SHRINK_AFTER:
            return 0
        with self.writes:
            try:
                # Run to its end by `executescript`: stepped once by `execute`, the
                # pragma frees a single page.
                db.executescript(
                    f"BEGIN IMMEDIATE; PRAGMA incremental_vacuum({SHRINK_STEP // page}); COMMIT;"
                )
            except sqlite3.OperationalError as err:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                if "locked" in str(err):
                    return 0
                raise
        [(left,)] = db.execute("PRAGMA freelist_count").fetchall()
        return (free - left) * page

    def count(self) -> int:
        return self._connection().execute("SELECT count(*) FROM mail").fetchone()[0]

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self.local, "connection", None)
        if db is not None:
            self.local.connection = None
            with contextlib.suppress(sqlite3.Error):
                db.close()


def file_of(database: str) -> str:
    """The spool file beside a SQLite database file."""
    return os.path.realpath(database) + "-spool"


def beside_database() -> Spool | None:
    """A spool on the file beside the database this thread is connected to:
    none on PostgreSQL or for a database in memory. Its owner keeps it (it
    holds each thread's connection to the file) and closes it."""
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return None
    return Spool(file_of(str(connection.settings_dict["NAME"])))
