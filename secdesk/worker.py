"""The worker: the background work secdesk does on its own.

Each tick it ends the embargoes whose time has come and runs the queued
background tasks (django-tasks, stored in the database), so several workers on
several hosts can share one PostgreSQL. Every step is idempotent: a worker that
dies mid-tick leaves nothing half-done that the next tick cannot finish.
"""

import logging
import threading

from django.db import close_old_connections

logger = logging.getLogger("secdesk.worker")


def tick() -> dict:
    from django_tasks_db.management.commands.db_worker import Worker as TaskWorker

    from secdesk.advisories import embargo_end as advisories_embargo_end
    from secdesk.cases.actions.embargo import expire_embargoes
    from secdesk.fixes import mirror
    from secdesk.mail import work as mail_work

    expired = expire_embargoes()
    for case_id in expired:
        logger.info("embargo of case #%s expired", case_id)
    # Reminders before an embargo's end, and publication after it (or at once for a zero-day).
    embargo_end = advisories_embargo_end.tick()
    # Git mirrors due for a fetch; an unreachable one is logged and skipped.
    mirror.fetch_stale()
    TaskWorker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="secdesk-worker",
        excluded_queue_names=[],
    ).run()
    # Mail last, so that what this tick queued goes out in this tick.
    mail = mail_work.tick()
    return {"expired": expired, **embargo_end, **mail}


def run(stop: threading.Event, interval: float = 5.0) -> None:
    """Tick until `stop` is set. A failing tick is logged (without case content)
    and retried on the next one: the worker never dies of one bad case."""
    while not stop.is_set():
        close_old_connections()
        try:
            tick()
        except Exception as err:
            logger.error("worker tick failed: %s", type(err).__name__)
            logger.debug("worker tick failed", exc_info=True)
        finally:
            close_old_connections()
        stop.wait(interval)
