"""The mail part of the worker's tick. Each step is idempotent."""

import logging
import sqlite3

from secdesk.mail import delivery, intake, moderation, spool

logger = logging.getLogger("secdesk.mail")


def tick() -> dict:
    # Mail stored by a daemon that died before reading it is read here.
    interrupted = intake.recover_interrupted()
    queue = spool.beside_database()
    try:
        read = intake.Intake(queue).process_pending(limit=200)
        settled = moderation.settle_moderated()
        escalated = moderation.escalate_held_reports()
        delivered = delivery.deliver_due()
        # Last, so that a spool that cannot be shrunk holds up no other work.
        spool_freed = _shrink(queue)
    finally:
        if queue is not None:
            queue.close()
    if escalated:
        logger.info("%d held report(s) escalated to the admins", escalated)
    return {
        "mail_read": read,
        "mail_interrupted": interrupted,
        "moderated_settled": settled,
        "escalated": escalated,
        "spool_freed": spool_freed,
        **delivered,
    }


def _shrink(queue) -> int:
    if queue is None:
        return 0
    try:
        return queue.shrink()
    except sqlite3.Error as err:
        logger.error("the mail spool could not be shrunk: %s", err)
        return 0
