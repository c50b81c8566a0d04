"""The worker: the background work secdesk does on its own.

Each tick sweeps the database for work that is due: embargoes whose end has come,
reminders and publications, amendments left half-way, security.txt files about to
lapse, stale git mirrors, the admins' digest of requests to join, the daily audit
anchor, and the outbox. Each piece of work is a row claimed under a lock, so several
workers on several hosts can share one PostgreSQL; every step is idempotent, so a
worker that dies mid-tick leaves nothing half-done that the next tick cannot finish.
"""

import logging
import threading
import time

from django.db import close_old_connections, connection

from secdesk.advisories import embargo_end as advisories_embargo_end
from secdesk.advisories import security_txt
from secdesk.advisories.revisions import resume_revisions
from secdesk.cases.actions.embargo import expire_embargoes
from secdesk.fixes import mirror
from secdesk.mail import delivery
from secdesk.mail import work as mail_work
from secdesk.mail.audit_anchors import anchor_when_due
from secdesk.outbox import wake
from secdesk.teams.joining import announce_join_requests

logger = logging.getLogger("secdesk.worker")


def tick() -> dict:
    expired = expire_embargoes()
    for case_id in expired:
        logger.info("embargo of case #%s expired", case_id)
    # Reminders before an embargo's end, and publication after it (or at once for a zero-day).
    embargo_end = advisories_embargo_end.tick()
    # Amendments of published advisories that stopped half-way.
    revised = resume_revisions()
    # security.txt's Expires, a month before it lapses.
    security_txt.renew_due()
    # Git mirrors due for a fetch; an unreachable one is logged and skipped.
    mirror.fetch_stale()
    # The admins' digest of new requests to join, at most hourly.
    join_requests = announce_join_requests()
    # Once a day, the end of the audit trail, sealed, to the admins.
    anchor = anchor_when_due()
    # Mail last, so that what this tick queued goes out in this tick.
    mail = mail_work.tick()
    return {
        "expired": expired,
        **embargo_end,
        "revised": revised,
        "join_requests_announced": join_requests,
        "anchored": anchor and anchor.seq,
        **mail,
    }


# How often a waiting worker looks whether it is asked to stop.
STOP_CHECK = 0.5


def run(stop: threading.Event, interval: float = 5.0) -> None:
    """Tick until `stop` is set; between ticks, send mail as soon as it is
    queued (`secdesk.outbox.wake`). A failing tick is logged (without case
    content) and retried on the next one: the worker never dies of one bad case."""
    queued = wake.listener()
    try:
        next_tick = 0.0
        while not stop.is_set():
            if time.monotonic() >= next_tick:
                _guarded("tick", tick)
                next_tick = time.monotonic() + interval
            elif queued.wait(min(next_tick - time.monotonic(), STOP_CHECK)):
                _guarded("delivery", _deliver_queued)
    finally:
        queued.close()
        connection.close()


def _deliver_queued() -> None:
    """Send what is due, a batch at a time, until a batch comes back short:
    several workers woken together share the rows (each claims its own)."""
    while sum(delivery.deliver_due(limit=DELIVERY_BATCH).values()) == DELIVERY_BATCH:
        pass


# Rows claimed at once when woken: few, so that the other workers woken by the
# same notice take the rest.
DELIVERY_BATCH = 10


def _guarded(what: str, work) -> None:
    close_old_connections()
    try:
        work()
    except Exception as err:
        logger.error("worker %s failed: %s", what, type(err).__name__)
        logger.debug("worker %s failed", what, exc_info=True)
    finally:
        close_old_connections()
