"""Two actions at once on PostgreSQL never deadlock over a case or a project:
one that holds the row and waits for the audit trail's head, and one that
holds the head and, at its commit, checks the row its new mail points at.
(Two web and two mail processes on one database did, bench/scale_out.py.)"""

import threading

import pytest
from django.db import connection, transaction

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.actions.common import lock_case
from secdesk.cases.numbers import assign_numbers
from secdesk.outbox import queue

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has one writer at a time: no row locks"
)


def _holding_the_head_then_committing(project, case, head_taken, row_locked, errors):
    """Queue mail about the case and take the head; commit (checking the mail's
    case and project) once the other transaction holds one of them."""
    try:
        with transaction.atomic():
            queue.enqueue(
                project=project,
                case=case,
                to=["bob@suse.example"],
                subject="Reminder",
                body="The embargo ends soon.",
                kind="notice",
            )
            record(None, AuditEvent.MAIL_QUARANTINED, case=case)
            head_taken.set()
            row_locked.wait(timeout=10)
    except Exception as err:
        errors.append(err)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lock", ["case", "project (numbering a report)"])
def test_an_action_holding_a_row_and_one_holding_the_audit_head_both_commit(
    project, new_case, lock
):
    case = new_case()
    head_taken, row_locked, errors = threading.Event(), threading.Event(), []
    other = threading.Thread(
        target=_holding_the_head_then_committing,
        args=(project, case, head_taken, row_locked, errors),
    )
    other.start()
    assert head_taken.wait(timeout=10)
    with transaction.atomic():
        if lock == "case":
            lock_case(case)
        else:
            assign_numbers(project, [])
        row_locked.set()
        # Waits for the other's commit, which checks the row this one holds.
        record(None, AuditEvent.MAIL_QUARANTINED, case=case)
    other.join(timeout=30)
    assert not errors, errors
