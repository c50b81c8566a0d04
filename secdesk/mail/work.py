"""The mail part of the worker's tick. Each step is idempotent."""

import logging

logger = logging.getLogger("secdesk.mail")


def tick() -> dict:
    from secdesk.mail import delivery, intake, moderation

    # Mail stored by a daemon that died before reading it is read here.
    interrupted = intake.recover_interrupted()
    read = intake.process_pending(limit=200)
    settled = moderation.settle_moderated()
    escalated = moderation.escalate_held_reports()
    delivered = delivery.deliver_due()
    if escalated:
        logger.info("%d held report(s) escalated to the admins", escalated)
    return {
        "mail_read": read,
        "mail_interrupted": interrupted,
        "moderated_settled": settled,
        "escalated": escalated,
        **delivered,
    }
