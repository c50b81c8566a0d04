"""From the SMTP socket to the case: store first, then let the rules decide.

1. `store` writes the raw message, one row per project addressed, and commits
   before the daemon answers 250: into the database, or on SQLite into the
   spool beside it (`spool`), from which claiming moves it into the database.
   Nothing after this step can lose it.
2. `process_pending` claims stored rows a batch at a time, reads them
   (`parsing`), learns what it can with one lookup of each kind for the batch
   (whom a reply address stands for, or which case a thread suggests, whether
   a member provably sent it), and runs the intake chain (`chain`) on each.
3. The decisions are carried out by actions: held reports (a case each,
   received, held, acknowledged within RFC 3834's limits) and mail appended to
   a case and distributed, each kind together in one transaction; a held post,
   a quarantine, a discard one by one. Every message gets its own audit record,
   and a batch that fails is carried out again message by message, so that a
   bad message quarantines itself and not its neighbours.

A row found mid-processing after a restart is quarantined for a person: it may
have opened a case already, and a person decides better than a guess.
"""

import contextlib
import functools
import logging
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.actions import reports
from secdesk.cases.actions.common import atomic
from secdesk.cases.actions.messages import MailedPost, do_append_mail, do_append_mails
from secdesk.cases.models import Capability, Case
from secdesk.errors import Refused
from secdesk.lib.addresses import validate_address
from secdesk.lib.rows import insert_rows
from secdesk.mail import chain, spool
from secdesk.mail.addresses import Recipient, split
from secdesk.mail.distribution import distribute
from secdesk.mail.models import (
    AcknowledgementCount,
    Attachment,
    Inbound,
    InboundMessage,
    MessageMail,
    OutgoingMessage,
)
from secdesk.mail.parsing import Parsed, Unparseable, parse
from secdesk.mail.rules import Incoming, Senders, authenticate
from secdesk.teams.access import capabilities_named, case_audience
from secdesk.teams.models import Consent, Membership, Person, Project

logger = logging.getLogger("secdesk.mail")

# A row claimed longer ago than this, and still processing, was interrupted.
INTERRUPTED_AFTER = timedelta(minutes=5)


@dataclass
class Envelope:
    raw: bytes
    mail_from: str
    recipients: list[tuple[str, Recipient]]
    peer: str = ""


def store(envelopes: list[Envelope]) -> list[int]:
    """Write the messages durably, in one transaction (one commit for a batch
    from concurrent sessions): into the spool beside a SQLite database, else
    into the database. Returns their ids, in order."""
    at = timezone.now()
    rows = []
    for envelope in envelopes:
        by_project: dict[int, list[str]] = {}
        for address, recipient in envelope.recipients:
            by_project.setdefault(recipient.project_id, []).append(address)
        rows += [
            {
                "raw": envelope.raw,
                "size": len(envelope.raw),
                "mail_from": envelope.mail_from[:500],
                "rcpt_tos": addresses,
                "peer": envelope.peer[:100],
                "received_at": at,
                "project_id": project_id,
            }
            for project_id, addresses in by_project.items()
        ]
    if (queue := spool.current()) is not None:
        return queue.put(rows)
    if connection.in_atomic_block:
        # Inside the caller's transaction (a test's): its commit is the one that counts.
        return [row.pk for row in insert_rows(InboundMessage(**row) for row in rows)]
    return _Stored.write(rows)


class _Stored:
    """The INSERT in front of every 250, with as little between the sender and
    the commit as can be: the statement is built once, the values go to the
    driver as they are (only JSON and times are converted, by their fields),
    and the transaction is the driver's own BEGIN and COMMIT. Building model
    instances and going through the ORM's transaction and cursor layers cost
    as much as the commit itself: storing one message took 0.25 ms of CPU
    through the ORM, 0.18 ms this way, most of it the commit's sync.

    On SQLite (a database in memory: a file has its spool), the writers of
    this process take turns through `writing()`; a database busy with another
    transaction is tried again every half millisecond, instead of through
    SQLite's busy handler, which sleeps 1, 2, 5, 10, 15 … ms between tries
    while every sender waits for its 250."""

    FIELDS = ("raw", "size", "mail_from", "rcpt_tos", "peer", "received_at", "project_id")

    @classmethod
    @functools.cache
    def _statement(cls, vendor: str) -> tuple[str, list, dict]:
        """The INSERT for this database, the fields in its order, and the
        values of the columns the intake does not set (their defaults)."""
        meta = InboundMessage._meta
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        fixed = {
            f.attname: f.get_db_prep_save(f.get_default(), connection)
            for f in fields
            if f.attname not in cls.FIELDS
        }
        mark = "?" if vendor == "sqlite" else "%s"
        quote = connection.ops.quote_name
        # Only quoted names from the model's own metadata go into the text.
        sql = "INSERT INTO {} ({}) VALUES ({}) RETURNING {}".format(  # noqa: S608
            quote(meta.db_table),
            ", ".join(quote(f.column) for f in fields),
            ", ".join([mark] * len(fields)),
            quote(meta.pk.column),
        )
        return sql, fields, fixed

    @classmethod
    def write(cls, rows: list[dict]) -> list[int]:
        connection.ensure_connection()
        sqlite = connection.vendor == "sqlite"
        sql, fields, fixed = cls._statement(connection.vendor)
        meta = InboundMessage._meta
        recipients, received = meta.get_field("rcpt_tos"), meta.get_field("received_at")
        params = []
        for row in rows:
            values = {
                **fixed,
                **row,
                "rcpt_tos": recipients.get_db_prep_save(row["rcpt_tos"], connection),
                "received_at": received.get_db_prep_save(row["received_at"], connection),
            }
            params.append([values[f.attname] for f in fields])
        # Django's error classes for the driver's, and a connection that failed
        # is marked for closing, as through Django's own cursor.
        with writing(), connection.wrap_database_errors:
            cursor = connection.connection.cursor()
            try:
                cls._begin(cursor, sqlite)
                try:
                    ids = []
                    for values in params:
                        cursor.execute(sql, values)
                        ids.append(cursor.fetchone()[0])
                    cursor.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(connection.Database.Error):
                        cursor.execute("ROLLBACK")
                    raise
            finally:
                cursor.close()
        return ids

    @staticmethod
    def _begin(cursor, sqlite: bool) -> None:
        if not sqlite:
            cursor.execute("BEGIN")
            return
        cursor.execute("PRAGMA busy_timeout")
        [waited] = cursor.fetchone()
        cursor.execute("PRAGMA busy_timeout = 0")
        try:
            spool.begin_immediate(cursor)
        finally:
            # The connection is kept for other work (the report form goes on
            # to read the message): give it back its usual patience.
            cursor.execute(f"PRAGMA busy_timeout = {int(waited)}")


def recover_interrupted() -> int:
    stale = timezone.now() - INTERRUPTED_AFTER
    count = 0
    for row in InboundMessage.objects.filter(state=Inbound.PROCESSING, claimed_at__lt=stale):
        _finish(
            row,
            Inbound.QUARANTINED,
            AuditEvent.MAIL_QUARANTINED,
            [
                {
                    "rule": "interrupted",
                    "reason": "processing was interrupted; check for a case "
                    "it may already have opened before releasing it",
                }
            ],
            case=_named_case(row),
        )
        count += 1
    return count


# In one process, whoever writes mail (the daemon's writer thread, the rules
# thread, the report form) takes SQLite's single write lock through this lock,
# which hands it over the moment it is free, rather than through SQLite's
# busy handler, which sleeps and polls. PostgreSQL locks rows: no turns.
_WRITES = threading.RLock()


def writing():
    return _WRITES if connection.vendor == "sqlite" else contextlib.nullcontext()


# Rows read and decided together: their lookups are shared and their new
# reports written in one transaction. A batch costs a few milliseconds of its
# own (its commits, its lookups, the team it reads once): for 200 messages the
# rules spent 13% less CPU per report than for 50, and 30% less per post. Its
# raw mail is held in memory at once, so a batch also stops at BATCH_BYTES
# (but always takes one message, however large).
BATCH = 200
BATCH_BYTES = 64 * 1024 * 1024


def process_pending(limit: int = 200) -> int:
    """Run the rules on stored messages, oldest first, a batch at a time.
    Returns how many were read."""
    done = 0
    while done < limit:
        read = process_next(min(BATCH, limit - done))
        if not read:
            break
        done += read
    return done


def process_next(limit: int | None = None) -> int:
    """Claim one batch of stored messages (what is there, up to `limit`, by
    default BATCH) and run the rules on it. Returns how many were read."""
    rows = _claim(limit or BATCH)
    if rows:
        process_batch(rows)
    return len(rows)


def _claim(limit: int) -> list[InboundMessage]:
    """Mark up to `limit` stored messages as being read, oldest first: those
    in the database, then those moved in from the spool (read before the
    transaction, which on SQLite is best kept short)."""
    at = timezone.now()
    queue = spool.current()
    spooled = _spooled(queue, limit)
    set_aside = False
    try:
        with writing(), transaction.atomic():
            pks, size = _claim_stored(limit, at)
            waiting = _within(spooled[: limit - len(pks)], BATCH_BYTES - size, bool(pks))
            moved, done, taken = _move(waiting, at)
    except (IntegrityError, DataError) as err:
        if not spooled:
            raise
        # A message that cannot be moved (its project gone, say) must not
        # hold up the others: each is moved alone, and one that fails is set
        # aside in the spool, named in the log, and tried again later.
        logger.error("moving spooled mail failed (%s): moving each alone", type(err).__name__)
        with writing(), transaction.atomic():
            pks, size = _claim_stored(limit, at)
        waiting = _within(spooled[: limit - len(pks)], BATCH_BYTES - size, bool(pks))
        moved, done, taken, set_aside = [], [], [], False
        for s in waiting:
            try:
                with writing(), transaction.atomic():
                    one = _move([s], at)
            except (IntegrityError, DataError) as err:
                _UNMOVABLE[s.id] = time.monotonic() + UNMOVABLE_RETRY
                logger.error(
                    "spooled message #%s cannot be moved into the database (%s); "
                    "it stays in the spool and is tried again in %d minutes",
                    s.id,
                    type(err).__name__,
                    UNMOVABLE_RETRY // 60,
                )
                set_aside = True
                continue
            moved, done, taken = moved + one[0], done + one[1], taken + one[2]
    rows = list(InboundMessage.objects.filter(pk__in=pks).order_by("pk")) if pks else []
    rows += moved
    forgotten = _settle(queue, done, taken)
    if not rows and (forgotten or set_aside):
        # Only mail moved before a crash, or mail set aside, was there; what
        # follows it may not be (each time the spool has fewer to offer).
        return _claim(limit)
    # One copy of each project (and its policy) for the batch, not one per row.
    projects = Project.objects.select_related("policy").in_bulk({row.project_id for row in rows})
    for row in rows:
        row.project = projects[row.project_id]
    return rows


# Spooled messages that could not be moved (number → when to try again): left
# out of batches meanwhile, so that they hold up no other mail.
_UNMOVABLE: dict[int, float] = {}
UNMOVABLE_RETRY = 600


def _claim_stored(limit: int, at) -> tuple[list[int], int]:
    """In the claiming transaction: mail stored in the database and not read
    yet (released from quarantine, or stored without a spool), up to `limit`
    messages and BATCH_BYTES. Returns their ids and their size."""
    pks, size = [], 0
    for pk, bytes_ in (
        InboundMessage.objects.select_for_update(skip_locked=True)
        .filter(state=Inbound.RECEIVED)
        .order_by("pk")
        .values_list("pk", "size")[:limit]
    ):
        if pks and size + bytes_ > BATCH_BYTES:
            break
        pks.append(pk)
        size += bytes_
    if pks:
        InboundMessage.objects.filter(pk__in=pks).update(state=Inbound.PROCESSING, claimed_at=at)
    return pks, size


def _spooled(queue: spool.Spool | None, limit: int, ids=None) -> list[spool.Spooled]:
    """The oldest spooled mail; none if the spool cannot be read just now (the
    mail in the database is read all the same, and the spool next time)."""
    if queue is None:
        return []
    now = time.monotonic()
    for number, retry_at in list(_UNMOVABLE.items()):
        if retry_at <= now:
            del _UNMOVABLE[number]
    try:
        return queue.oldest(limit, BATCH_BYTES, ids=ids, skip=list(_UNMOVABLE))
    except sqlite3.Error as err:
        logger.error("the mail spool cannot be read: %s", err)
        return []


def _within(waiting: list[spool.Spooled], room: int, have_some: bool) -> list[spool.Spooled]:
    """The first of `waiting` that fit in `room` bytes (one at least, if the
    batch has nothing yet)."""
    taken = []
    for s in waiting:
        room -= len(s.raw)
        if room < 0 and (taken or have_some):
            break
        taken.append(s)
    return taken


def _move(waiting: list[spool.Spooled], at) -> tuple[list, list, list]:
    """Inside the claiming transaction: spooled messages into the database,
    under their numbers, claimed. Returns the rows moved; the spooled
    messages the spool can forget (moved now, or before a crash kept it from
    forgetting them: found in the database with the same content, and not
    read again); and those whose number a different message has."""
    if not waiting:
        return [], [], []
    there = {
        pk: (received_at, size, project_id)
        for pk, received_at, size, project_id in InboundMessage.objects.filter(
            pk__in=[s.id for s in waiting]
        ).values_list("pk", "received_at", "size", "project_id")
    }
    rows, done, taken = [], [], []
    for s in waiting:
        if s.id not in there:
            rows.append(
                InboundMessage(
                    pk=s.id,
                    raw=s.raw,
                    size=len(s.raw),
                    mail_from=s.mail_from,
                    rcpt_tos=s.rcpt_tos,
                    peer=s.peer,
                    received_at=s.received_at,
                    project_id=s.project_id,
                    state=Inbound.PROCESSING,
                    claimed_at=at,
                )
            )
            done.append(s)
        elif there[s.id] == (s.received_at, len(s.raw), s.project_id):
            done.append(s)
        else:
            taken.append(s)
    insert_rows(rows, keep_ids=True)
    return rows, done, taken


def _settle(queue: spool.Spool | None, done: list, taken: list) -> bool:
    """After the move's commit: the spool forgets what the database has, and
    gives a new number to any message whose number was taken. True if the
    spool forgot something. If forgetting fails, the messages are found in
    the database at the next move, and forgotten then."""
    if queue is None:
        return False
    try:
        queue.drop(done)
        for old, new in queue.renumber(taken).items():
            logger.error("spooled message #%s: its number was taken; it is #%s now", old, new)
    except Exception as err:
        logger.error("the mail spool could not be updated: %s", err)
        return False
    return bool(done)


def process_one(pk: int) -> bool:
    """Run the rules on one stored message now (the report form's), unless
    another reader has it already."""
    at = timezone.now()
    queue = spool.current()
    waiting = _spooled(queue, 1, ids=[pk])
    with writing(), transaction.atomic():
        moved, done, taken = _move(waiting, at)
        claimed = any(row.pk == pk for row in moved) or bool(
            InboundMessage.objects.filter(pk=pk, state=Inbound.RECEIVED).update(
                state=Inbound.PROCESSING, claimed_at=at
            )
        )
    _settle(queue, done, taken)
    if not claimed:
        return False  # another process has it
    process_batch([InboundMessage.objects.select_related("project__policy").get(pk=pk)])
    return True


def _guarded(row: InboundMessage, work, *args) -> None:
    """Carry out the decision on one message; a failure quarantines it, never loses it."""
    try:
        with writing():
            work(*args)
    except Exception as err:
        # Never lost, never retried blindly: a person looks at it. The action's
        # transaction was rolled back, so the row is read again rather than
        # kept with what the action had set on it (a case that does not exist).
        logger.error("inbound #%s could not be processed: %s", row.pk, type(err).__name__)
        logger.debug("inbound #%s failed", row.pk, exc_info=True)
        row.refresh_from_db()
        with writing():
            _finish(
                row,
                Inbound.QUARANTINED,
                AuditEvent.MAIL_QUARANTINED,
                [{"rule": "failure", "reason": f"processing failed ({type(err).__name__})"}],
                case=_named_case(row),
            )


def process_batch(rows: list[InboundMessage]) -> None:
    """Read, decide and carry out claimed rows, in order. A message that answers
    one earlier in the same batch waits until that one is in the database, so
    that its thread suggests the case to a moderator."""
    segment, ids = [], set()
    for row in rows:
        parsed = _parse(row)
        if parsed is not None and ids.intersection(parsed.thread_ids):
            _process_segment(segment)
            segment, ids = [], set()
        segment.append((row, parsed))
        if parsed is not None and parsed.message_id:
            ids.add(parsed.message_id)
    _process_segment(segment)


def _parse(row: InboundMessage) -> Parsed | None:
    try:
        return parse(bytes(row.raw))
    except Unparseable:
        return None


def _process_segment(segment: list[tuple[InboundMessage, Parsed | None]]) -> None:
    if not segment:
        return
    try:
        examined = examine_all(segment)
    except Exception as err:
        logger.error("reading %d inbound message(s) failed: %s", len(segment), type(err).__name__)
        logger.debug("examine failed", exc_info=True)
        if len(segment) > 1:
            # Read each alone: only the one that fails alone goes to quarantine.
            for item in segment:
                _process_segment([item])
            return
        _guarded(segment[0][0], _raise, err)
        return
    acknowledged: dict[tuple[int, str], int] = {}
    reports: dict[int, list[tuple[InboundMessage, Incoming]]] = {}
    posts: dict[int, list[tuple[InboundMessage, Incoming]]] = {}
    for row, msg in examined:
        try:
            decision = chain.decide(msg)
            _note(row, msg, decision)
        except Exception as err:
            _guarded(row, _raise, err)
            continue
        if decision.action == chain.ACCEPT and msg.case is not None:
            posts.setdefault(msg.case.pk, []).append((row, msg))
        elif decision.action == chain.HOLD and msg.case is None and msg.suggested_case is None:
            # A new report: acknowledged within the day's limit, counting the
            # ones acknowledged earlier in this batch.
            key = (row.project_id, msg.reporter_address.lower())
            msg.acknowledgements_today += acknowledged.get(key, 0)
            msg.acknowledge_refused = chain.acknowledgement_refused(msg)
            if not msg.acknowledge_refused:
                acknowledged[key] = acknowledged.get(key, 0) + 1
            reports.setdefault(row.project_id, []).append((row, msg))
        else:
            _guarded(row, _carry_out, row, msg, decision.action)
    for items in posts.values():
        _posts(items)
    for items in reports.values():
        _held_reports(items)


def _raise(err: Exception) -> None:
    raise err


def _note(row: InboundMessage, msg: Incoming, decision) -> None:
    row.reasons = decision.reasons
    _note_parsed(row, msg)


def _note_parsed(row: InboundMessage, msg: Incoming) -> None:
    if msg.parsed is not None:
        row.sender = msg.reporter_address[:500]
        row.subject = msg.parsed.subject
        row.message_id = msg.parsed.message_id


def _reporter_address(parsed: Parsed, mail_from: str) -> str:
    for address in [*parsed.from_addresses[:1], mail_from]:
        try:
            validate_address(address)
        except ValidationError:
            continue
        return address
    return ""


def examine_all(items: list[tuple[InboundMessage, Parsed | None]]) -> list[tuple]:
    """What secdesk can learn about stored messages before the rules run, each
    lookup made once for all of them: our own Message-IDs (loops), whom their
    reply addresses stand for (or else which case their thread suggests), who
    may have sent them, and the day's acknowledgements per sender."""
    found = []
    for row, parsed in items:
        msg = Incoming(
            raw=bytes(row.raw),
            mail_from=row.mail_from,
            project=row.project,
            parsed=parsed,
            inbound_id=row.pk,
        )
        if parsed is not None:
            msg.reporter_address = _reporter_address(parsed, row.mail_from)
        found.append((row, msg))
    read = [(row, msg) for row, msg in found if msg.parsed is not None]
    if not read:
        return found
    own = set(
        OutgoingMessage.objects.filter(
            message_id__in=[m.parsed.message_id for _, m in read if m.parsed.message_id]
        ).values_list("message_id", flat=True)
    )
    addressed, suggested = _addressed(read)
    members = _Members()
    counts = {
        (c.project_id, c.address): c.count
        for c in AcknowledgementCount.objects.filter(
            day=timezone.localdate(),
            project__in={row.project_id for row, _ in read},
            address__in={m.reporter_address.lower() for _, m in read if m.reporter_address},
        )
    }
    for row, msg in read:
        msg.loop = bool(msg.parsed.message_id) and msg.parsed.message_id in own
        msg.reply_capability = capability = addressed.get(row.pk)
        if capability is not None and capability.case.project_id == row.project_id:
            msg.case = capability.case
        msg.suggested_case = suggested.get(row.pk)
        authenticate(msg, members.who_may_send(row.project, msg.case))
        if msg.reporter_address:
            msg.acknowledgements_today = counts.get(
                (row.project_id, msg.reporter_address.lower()), 0
            )
    return found


def _tokens(row: InboundMessage) -> list[str]:
    return [token for _, token, _ in map(split, row.rcpt_tos) if len(token) == 32]


def _addressed(read) -> tuple[dict[int, Capability], dict[int, int]]:
    """For each row, the reply address's capability its recipients name (live
    or not: the access module marks which admit their holder); for the rows
    without one, the case of the nearest message they answer (In-Reply-To,
    then References), as a suggestion for a moderator only."""
    tokens = {row.pk: _tokens(row) for row, _ in read}
    named = capabilities_named({t for ts in tokens.values() for t in ts}, Capability.Kind.REPLY)
    addressed = {}
    for row, _ in read:
        found = [named[t] for t in tokens[row.pk] if t in named]
        if found:
            addressed[row.pk] = found[0]
    unaddressed = [(row, msg) for row, msg in read if row.pk not in addressed]
    thread_ids = {i for _, m in unaddressed for i in m.parsed.thread_ids}
    by_thread: dict[tuple[int, str], int] = {}
    if thread_ids:
        linked = MessageMail.objects.filter(message_id__in=thread_ids).values_list(
            "message_id", "case_message__case_id", "case_message__case__project_id"
        )
        for message_id, case_id, project_id in linked:
            by_thread[(project_id, message_id)] = case_id
        # What we sent is the surer sign of a thread: it wins.
        sent = OutgoingMessage.objects.filter(
            message_id__in=thread_ids, case__isnull=False
        ).values_list("message_id", "case_id", "project_id")
        for message_id, case_id, project_id in sent:
            by_thread[(project_id, message_id)] = case_id
    suggested = {}
    for row, msg in unaddressed:
        answered = [
            by_thread[(row.project_id, i)]
            for i in msg.parsed.thread_ids
            if (row.project_id, i) in by_thread
        ]
        if answered:
            suggested[row.pk] = answered[0]
    tagged = {
        row.pk: (row.project_id, _tagged_case(row.project, msg.parsed.subject))
        for row, msg in unaddressed
        if row.pk not in suggested and _tagged_case(row.project, msg.parsed.subject)
    }
    if tagged:
        found = set(
            Case.objects.filter(pk__in={pk for _, pk in tagged.values()}).values_list(
                "project_id", "pk"
            )
        )
        suggested |= {row: key[1] for row, key in tagged.items() if key in found}
    return addressed, suggested


def _tagged_case(project: Project, subject: str) -> int | None:
    """The case whose reference `[slug#N]` a subject carries, as secdesk's own
    mail writes it (an out-of-office reply to it, say), if it is this project's."""
    found = re.search(rf"\[{re.escape(project.slug)}#(\d+)\]", subject or "", re.IGNORECASE)
    return int(found.group(1)) if found else None


def _named_case(row: InboundMessage) -> Case | None:
    """The case a stored message names, for one that failed or was cut off half
    way: quarantined against that case, only those the case admits see it."""
    if row.case_id is not None:
        return row.case
    parsed = _parse(row)
    if parsed is None:
        return None
    msg = Incoming(raw=b"", mail_from="", project=row.project, parsed=parsed, inbound_id=row.pk)
    try:
        addressed, suggested = _addressed([(row, msg)])
    except Exception as err:
        # What failed may be this very lookup: the message is quarantined all
        # the same, never lost, without a case (for every moderator to see).
        logger.error(
            "inbound #%s: the case it names cannot be found (%s)", row.pk, type(err).__name__
        )
        return None
    capability = addressed.get(row.pk)
    if capability is not None and capability.case.project_id == row.project_id:
        return capability.case
    return Case.objects.filter(pk=suggested.get(row.pk)).first()


class _Members:
    """Who may be the sender: the members who would see the case (or any case),
    read once per project and per case for a batch."""

    def __init__(self):
        self.by_project: dict[int, Senders] = {}
        self.by_case: dict[int, Senders] = {}

    def who_may_send(self, project: Project, case: Case | None) -> Senders:
        if case is not None:
            if case.pk not in self.by_case:
                self.by_case[case.pk] = Senders(list(case_audience(case)))
            return self.by_case[case.pk]
        if project.pk not in self.by_project:
            active = Membership.objects.filter(
                project=project, removed_at__isnull=True, consent=Consent.SIGNATORY
            )
            self.by_project[project.pk] = Senders(
                list(Person.objects.filter(memberships__in=active).distinct())
            )
        return self.by_project[project.pk]


def _carry_out(row: InboundMessage, msg: Incoming, action: str) -> None:
    if action == chain.QUARANTINE:
        _finish(row, Inbound.QUARANTINED, AuditEvent.MAIL_QUARANTINED, row.reasons)
    elif action == chain.DISCARD:
        _finish(row, Inbound.DISCARDED, AuditEvent.MAIL_DISCARDED, row.reasons)
    elif action == chain.ACCEPT and msg.member is not None and msg.case is None:
        _member_report(row, msg)
    elif action == chain.ACCEPT:
        do_append_mail(
            msg.case,
            inbound=row,
            parsed=msg.parsed,
            author=msg.holder,
            member=msg.member is not None,
        )
    elif msg.case is not None:
        _finish(row, Inbound.HELD, AuditEvent.MAIL_HELD, row.reasons, case=msg.case, msg=msg)
    elif msg.suggested_case is not None:
        # It names a case (its thread, or the reference in its subject) but
        # proves nobody: held against that case, for the moderators the case
        # admits. As a new report every moderator would read it, and its
        # approval would send it to the whole team.
        case = Case.objects.get(pk=msg.suggested_case)
        _finish(row, Inbound.HELD, AuditEvent.MAIL_HELD, row.reasons, case=case, msg=msg)
    else:
        raise AssertionError(f"no way to carry out {action!r} here")


def new_attachments(mails: list[tuple[InboundMessage, Parsed | None]]) -> list[Attachment]:
    """The unsaved attachment rows of each (row, parsed) whose attachments are not
    stored yet: mail that was quarantined, then released, has them already."""
    wanted = [(row, parsed) for row, parsed in mails if parsed is not None and parsed.attachments]
    if not wanted:
        return []
    kept = set(
        Attachment.objects.filter(inbound__in=[row for row, _ in wanted]).values_list(
            "inbound_id", flat=True
        )
    )
    return [
        Attachment(
            inbound=row,
            filename=part.filename,
            content_type=part.content_type[:200],
            size=len(part.data),
            sha256=part.sha256,
            data=part.data,
        )
        for row, parsed in wanted
        if row.pk not in kept
        for part in parsed.attachments
    ]


def keep_attachments(row: InboundMessage, parsed: Parsed | None) -> None:
    insert_rows(new_attachments([(row, parsed)]))


def _finish(row, state, event, reasons, *, case=None, msg=None) -> None:
    with atomic():
        row.state, row.reasons, row.case = state, reasons, case or row.case
        row.decided_at = timezone.now()
        row.save()
        keep_attachments(row, msg.parsed if msg else None)
        record(
            None,
            event,
            project=row.project,
            case=row.case,
            inbound=row.pk,
            reasons=[r["rule"] for r in reasons],
        )


def _report_text(parsed: Parsed) -> tuple[str, str]:
    subject = parsed.subject.strip() or "(no subject)"
    body = parsed.body if parsed.body.strip() else "(no text; see the attachments)"
    return subject, body


def link_mail_row(message, row: InboundMessage, parsed: Parsed) -> MessageMail:
    """Tie a case message to the mail it came from, for threading (unsaved)."""
    return MessageMail(
        case_message=message,
        message_id=parsed.message_id,
        in_reply_to=(parsed.thread_ids or [""])[0][:500],
        inbound=row,
    )


def link_mail(message, row: InboundMessage, parsed: Parsed) -> MessageMail:
    mail = link_mail_row(message, row, parsed)
    mail.save()
    return mail


def _mailed_report(row: InboundMessage, msg: Incoming) -> reports.MailedReport:
    subject, body = _report_text(msg.parsed)
    refused = msg.acknowledge_refused
    row.reasons = [*row.reasons, *[{**r, "acknowledgement": False} for r in refused]]
    return reports.MailedReport(
        inbound=row,
        parsed=msg.parsed,
        reporter_email=msg.reporter_address,
        reporter_name=msg.parsed.from_name,
        subject=subject,
        body=body,
        acknowledge=not refused,
    )


def _held_report(row: InboundMessage, msg: Incoming) -> None:
    """A new report from a non-member: a case, held, and (RFC 3834 permitting)
    one automatic acknowledgement with its reference."""
    reasons = row.reasons
    try:
        reports.do_receive_held_reports(row.project, [_mailed_report(row, msg)])
    except Refused as err:
        reasons = [*reasons, {"rule": "refused", "reason": err.message}]
        _finish(row, Inbound.QUARANTINED, AuditEvent.MAIL_QUARANTINED, reasons, msg=msg)


def _mailed_post(row: InboundMessage, msg: Incoming) -> MailedPost:
    return MailedPost(
        inbound=row,
        parsed=msg.parsed,
        author=msg.holder,
        member=msg.member is not None,
    )


def _together(items: list[tuple[InboundMessage, Incoming]], action, one, what: str) -> None:
    """Carry out `action` for several messages at once; if it fails, `one` for
    each message alone, so that a bad message quarantines itself and not its
    neighbours."""
    reasons = {row.pk: row.reasons for row, _ in items}
    try:
        with writing():
            action()
        return
    except Exception as err:
        logger.warning(
            "%d %s could not be handled together (%s); handling each alone",
            len(items),
            what,
            type(err).__name__,
        )
    for row, msg in items:
        row.refresh_from_db()
        row.reasons = reasons[row.pk]
        _note_parsed(row, msg)
        _guarded(row, one, row, msg)


def _posts(items: list[tuple[InboundMessage, Incoming]]) -> None:
    """Mail into one case, together."""
    posts = [_mailed_post(row, msg) for row, msg in items]
    _together(items, lambda: do_append_mails(items[0][1].case, posts), _post, "mails into a case")


def _post(row: InboundMessage, msg: Incoming) -> None:
    _carry_out(row, msg, chain.ACCEPT)


def _held_reports(items: list[tuple[InboundMessage, Incoming]]) -> None:
    """New reports of one project, together."""
    project = items[0][0].project
    _together(
        items,
        lambda: reports.do_receive_held_reports(
            project, [_mailed_report(row, msg) for row, msg in items]
        ),
        _held_report,
        "reports",
    )


def _member_report(row: InboundMessage, msg: Incoming) -> None:
    """A member's new thread to the security address: a case, and the team gets it."""
    subject, body = _report_text(msg.parsed)
    case = reports.do_receive_report(
        row.project,
        reporter_email=msg.member.email,
        subject=subject,
        body=body,
        acting=msg.member,
    )
    with atomic():
        link_mail(case.messages.order_by("pk").first(), row, msg.parsed)
        keep_attachments(row, msg.parsed)
        distribute(case.messages.order_by("pk").first(), to_reporter=False)
        row.state, row.case, row.opened_case = Inbound.ACCEPTED, case, True
        row.decided_at = timezone.now()
        row.save()
