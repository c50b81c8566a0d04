"""From the SMTP socket to the case: store first, then let the rules decide.

The intake is four steps, a module each:

1. `store`: the raw message written durably, before the daemon answers 250.
2. `claim`: stored messages marked as being read, a batch at a time, moved
   from the spool on SQLite.
3. `decide`: what can be learnt about the batch, one lookup of each kind for
   all of it; then the intake chain (`chain`) decides each message.
4. `carry_out`: the decisions done by actions, a kind of decision together.

`Intake` runs them in order. It holds what its owner (the daemon, the worker,
a request of the report form) keeps between batches: the spool beside the
database, and how large a batch may be.

A row found mid-processing after a restart is quarantined for a person: it may
have opened a case already, and a person decides better than a guess. Rows
being read when the database went away (a restart of PostgreSQL) are given
back once it answers again, and read again: their decisions were not carried
out, as each is carried out in the transaction that records it.
"""

import contextlib
import logging
from datetime import timedelta

from django.utils import timezone

from secdesk.audit.models import AuditEvent
from secdesk.lib.database import database_away
from secdesk.mail import carry_out, chain, claim, decide
from secdesk.mail.claim import BATCH, BATCH_BYTES
from secdesk.mail.models import Inbound, InboundMessage
from secdesk.mail.parsing import Parsed
from secdesk.mail.rules import Incoming
from secdesk.mail.spool import Spool
from secdesk.mail.store import Envelope, store

__all__ = ["BATCH", "Envelope", "Intake"]

logger = logging.getLogger("secdesk.mail")

# A row claimed longer ago than this, and still processing, was interrupted.
INTERRUPTED_AFTER = timedelta(minutes=5)

Segment = list[tuple[InboundMessage, Parsed | None]]
Decided = list[tuple[InboundMessage, Incoming]]


class Intake:
    """The intake of one owner. `spool`: where mail is stored on SQLite
    (`spool.beside_database()`); None on PostgreSQL, or for an owner that only
    reads mail already in the database."""

    def __init__(self, spool: Spool | None, *, batch=BATCH, batch_bytes=BATCH_BYTES):
        self.spool = spool
        self.batch = batch
        self.batch_bytes = batch_bytes

    def close(self) -> None:
        """Close this thread's connection to the spool."""
        if self.spool is not None:
            self.spool.close()

    def store(self, envelopes: list[Envelope]) -> list[int]:
        """Write messages durably; their numbers, in order."""
        return store(envelopes, self.spool)

    def process_pending(self, limit: int = 200) -> int:
        """Run the rules on stored messages, oldest first, a batch at a time.
        Returns how many were read."""
        done = 0
        while done < limit:
            read = self.process_next(min(self.batch, limit - done))
            if not read:
                break
            done += read
        return done

    def process_next(self, limit: int | None = None) -> int:
        """Claim one batch of stored messages (what is there, up to `limit`, by
        default a full batch) and run the rules on it. Returns how many were read."""
        rows = claim.claim(self.spool, limit or self.batch, self.batch_bytes)
        if rows:
            _reading(rows)
        return len(rows)

    def process_one(self, pk: int) -> bool:
        """Run the rules on one stored message now (the report form's), unless
        another reader has it already."""
        if not claim.claim_one(self.spool, pk):
            return False  # another process has it
        _reading([InboundMessage.objects.select_related("project__policy").get(pk=pk)])
        return True


def _reading(rows: list[InboundMessage]) -> None:
    """Read claimed rows. If the database goes away meanwhile, they are given
    back when it returns, to be read again (but one that may have opened its
    case before, `case_may_exist`, which the recovery of interrupted mail
    shows to a person)."""
    try:
        process_batch(rows)
    except Exception as err:
        if database_away(err):
            logger.error("the database went away while %d message(s) were read", len(rows))
            with contextlib.suppress(Exception):
                claim.release_when_back(
                    [row.pk for row in rows if not getattr(row, "case_may_exist", False)]
                )
        raise


def recover_interrupted() -> int:
    """Quarantine the messages whose reading was cut off; how many."""
    stale = timezone.now() - INTERRUPTED_AFTER
    count = 0
    for row in InboundMessage.objects.filter(state=Inbound.PROCESSING, claimed_at__lt=stale):
        carry_out.finish(
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
            case=decide.named_case(row),
        )
        count += 1
    return count


def process_batch(rows: list[InboundMessage]) -> None:
    """Read, decide and carry out claimed rows, in order. A message that answers
    one earlier in the same batch waits until that one is in the database, so
    that its thread suggests the case to a moderator."""
    segment, ids = [], set()
    for row in rows:
        parsed = decide.parse_row(row)
        if parsed is not None and ids.intersection(parsed.thread_ids):
            _process_segment(segment)
            segment, ids = [], set()
        segment.append((row, parsed))
        if parsed is not None and parsed.message_id:
            ids.add(parsed.message_id)
    _process_segment(segment)


def _process_segment(segment: Segment) -> None:
    if not segment:
        return
    try:
        examined = decide.examine_all(segment)
    except Exception as err:
        if database_away(err):
            raise
        logger.error("reading %d inbound message(s) failed: %s", len(segment), type(err).__name__)
        logger.debug("examine failed", exc_info=True)
        if len(segment) > 1:
            # Read each alone: only the one that fails alone goes to quarantine.
            for item in segment:
                _process_segment([item])
            return
        carry_out.failed(segment[0][0], err)
        return
    posts, reports = _decide_each(examined)
    for items in posts.values():
        carry_out.posts(items)
    for items in reports.values():
        carry_out.held_reports(items)


def _decide_each(examined: Decided) -> tuple[dict[int, Decided], dict[int, Decided]]:
    """Run the chain on each message. Posts into a case (by case) and new
    reports (by project) are returned to be carried out together; any other
    decision is carried out here and now."""
    acknowledged: dict[tuple[int, str], int] = {}
    reports: dict[int, Decided] = {}
    posts: dict[int, Decided] = {}
    for row, msg in examined:
        try:
            decision = chain.decide(msg)
            row.reasons = decision.reasons
            decide.note_parsed(row, msg)
        except Exception as err:
            if database_away(err):
                raise
            carry_out.failed(row, err)
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
            carry_out.guarded(row, carry_out.carry_out, row, msg, decision.action)
    return posts, reports
