"""Claiming: stored messages marked as being read, a batch at a time, oldest
first: those in the database (released from quarantine, or stored without a
spool), then those moved in from the spool, under the numbers their senders
were given, in the transaction that claims them.

A crash between the move's commit and the spool forgetting what it moved
leaves a message in both places: the next move finds it in the database with
the same content, and only has the spool forget it.
"""

import logging
import sqlite3

from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from secdesk.lib.database import database_away, when_back
from secdesk.mail.models import Inbound, InboundMessage
from secdesk.mail.spool import Spool, Spooled
from secdesk.teams.models import Project

logger = logging.getLogger("secdesk.mail")

# Rows read and decided together: their lookups are shared and their new
# reports written in one transaction. A batch costs a few milliseconds of its
# own (its commits, its lookups, the team it reads once): for 200 messages the
# rules spent 13% less CPU per report than for 50, and 30% less per post. Its
# raw mail is held in memory at once, so a batch also stops at BATCH_BYTES
# (but always takes one message, however large).
BATCH = 200
BATCH_BYTES = 64 * 1024 * 1024

# A spooled message that cannot be moved (its project gone, say) is set aside
# in the spool for this long, so that it holds up no other mail.
UNMOVABLE_RETRY = 600


def claim(spool: Spool | None, limit: int, max_bytes: int = BATCH_BYTES) -> list[InboundMessage]:
    """Mark up to `limit` stored messages (and `max_bytes`) as being read, and
    return them, each with its project. The spool is read before the
    transaction, which on SQLite is best kept short."""
    at = timezone.now()
    spooled = _spooled(spool, limit, max_bytes)
    try:
        with transaction.atomic():
            pks, size = _claim_stored(limit, max_bytes, at)
            waiting = _within(spooled[: limit - len(pks)], max_bytes - size, bool(pks))
            moved, done, taken = _move(waiting, at)
        set_aside = False
    except (IntegrityError, DataError) as err:
        if not spooled:
            raise
        logger.error("moving spooled mail failed (%s): moving each alone", type(err).__name__)
        pks, moved, done, taken, set_aside = _claim_each_alone(spool, spooled, limit, max_bytes, at)
    claimed = pks + [row.pk for row in moved]
    try:
        stored = list(InboundMessage.objects.filter(pk__in=pks).order_by("pk")) if pks else []
        rows = _with_projects(stored + moved)
    except Exception as err:
        # Claimed, and the database gone before they were read: given back.
        if claimed and database_away(err):
            release_when_back(claimed)
        raise
    forgotten = _settle(spool, done, taken)
    if not rows and (forgotten or set_aside):
        # Only mail moved before a crash, or mail set aside, was there; what
        # follows it may not be (each time the spool has fewer to offer).
        return claim(spool, limit, max_bytes)
    return rows


def _with_projects(rows: list[InboundMessage]) -> list[InboundMessage]:
    """One copy of each project (and its policy) for the batch, not one per row."""
    projects = Project.objects.select_related("policy").in_bulk({row.project_id for row in rows})
    for row in rows:
        row.project = projects[row.project_id]
    return rows


def _claim_each_alone(spool, spooled, limit, max_bytes, at):
    """A message that cannot be moved must not hold up the others: each is
    moved alone, and one that fails is set aside in the spool, named in the
    log, and tried again later."""
    with transaction.atomic():
        pks, size = _claim_stored(limit, max_bytes, at)
    waiting = _within(spooled[: limit - len(pks)], max_bytes - size, bool(pks))
    moved, done, taken, set_aside = [], [], [], False
    for s in waiting:
        try:
            with transaction.atomic():
                one = _move([s], at)
        except (IntegrityError, DataError) as err:
            spool.set_aside(s, UNMOVABLE_RETRY)
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
    return pks, moved, done, taken, set_aside


def release_when_back(pks: list[int]) -> None:
    """Give claimed messages back (received, to be read again) once the
    database answers again. Only those still being read: one whose decision
    was carried out before the database went away has its new state already.
    If the database stays away, the recovery of interrupted mail has them."""
    when_back(
        lambda: InboundMessage.objects.filter(pk__in=pks, state=Inbound.PROCESSING).update(
            state=Inbound.RECEIVED, claimed_at=None
        )
    )


def claim_one(spool: Spool | None, pk: int) -> bool:
    """Claim one stored message (the report form's), unless another reader has
    it already."""
    at = timezone.now()
    waiting = _spooled(spool, 1, BATCH_BYTES, ids=[pk])
    with transaction.atomic():
        moved, done, taken = _move(waiting, at)
        claimed = any(row.pk == pk for row in moved) or bool(
            InboundMessage.objects.filter(pk=pk, state=Inbound.RECEIVED).update(
                state=Inbound.PROCESSING, claimed_at=at
            )
        )
    _settle(spool, done, taken)
    return claimed


def _claim_stored(limit: int, max_bytes: int, at) -> tuple[list[int], int]:
    """In the claiming transaction: mail stored in the database and not read
    yet, up to `limit` messages and `max_bytes`. Returns their ids and size."""
    pks, size = [], 0
    for pk, bytes_ in (
        InboundMessage.objects.select_for_update(skip_locked=True)
        .filter(state=Inbound.RECEIVED)
        .order_by("pk")
        .values_list("pk", "size")[:limit]
    ):
        if pks and size + bytes_ > max_bytes:
            break
        pks.append(pk)
        size += bytes_
    if pks:
        InboundMessage.objects.filter(pk__in=pks).update(state=Inbound.PROCESSING, claimed_at=at)
    return pks, size


def _spooled(spool: Spool | None, limit: int, max_bytes: int, ids=None) -> list[Spooled]:
    """The oldest spooled mail; none if the spool cannot be read just now (the
    mail in the database is read all the same, and the spool next time)."""
    if spool is None:
        return []
    try:
        return spool.oldest(limit, max_bytes, ids=ids)
    except sqlite3.Error as err:
        logger.error("the mail spool cannot be read: %s", err)
        return []


def _within(waiting: list[Spooled], room: int, have_some: bool) -> list[Spooled]:
    """The first of `waiting` that fit in `room` bytes (one at least, if the
    batch has nothing yet)."""
    taken = []
    for s in waiting:
        room -= len(s.raw)
        if room < 0 and (taken or have_some):
            break
        taken.append(s)
    return taken


def _move(waiting: list[Spooled], at) -> tuple[list, list, list]:
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
    InboundMessage.objects.bulk_create(rows)
    return rows, done, taken


def _settle(spool: Spool | None, done: list, taken: list) -> bool:
    """After the move's commit: the spool forgets what the database has, and
    gives a new number to any message whose number was taken. True if the
    spool forgot something. If forgetting fails, the messages are found in
    the database at the next move, and forgotten then."""
    if spool is None:
        return False
    try:
        spool.drop(done)
        for old, new in spool.renumber(taken).items():
            logger.error("spooled message #%s: its number was taken; it is #%s now", old, new)
    except Exception as err:
        logger.error("the mail spool could not be updated: %s", err)
        return False
    return bool(done)
