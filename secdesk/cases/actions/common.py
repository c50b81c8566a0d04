from django.db import transaction
from django.utils import timezone

from secdesk.cases.models import Case, Embargo
from secdesk.errors import NotFound


def atomic():
    # durable: an action is never nested inside another transaction, so its
    # audit record and its on-commit notifications go out with its own commit.
    return transaction.atomic(durable=True)


# Row locks are FOR NO KEY UPDATE on PostgreSQL: they keep out every other
# writer of the row as FOR UPDATE does, but not a transaction that only adds
# rows pointing at it (an outbox row, a notice), whose foreign keys are
# checked at its commit with FOR KEY SHARE. Every action takes the audit
# trail's head last; under FOR UPDATE, an action holding a case and waiting
# for the head, and one holding the head and checking its rows' keys against
# that case at commit, waited for each other until PostgreSQL broke the
# deadlock (two web and two mail processes, bench/scale_out.py).


def lock_case(case_or_id) -> Case:
    """A fresh copy of the case, locked for this transaction (SELECT … FOR NO
    KEY UPDATE)."""
    pk = case_or_id.pk if isinstance(case_or_id, Case) else case_or_id
    try:
        # Lock the case row only: PostgreSQL refuses FOR UPDATE on the nullable
        # side of the outer join that brings the policy along.
        return (
            Case.objects.select_for_update(of=("self",), no_key=True)
            .select_related("project__policy")
            .get(pk=pk)
        )
    except Case.DoesNotExist:
        raise NotFound(f"no case #{pk}") from None


def lock_embargo(case: Case) -> Embargo:
    embargo, _ = Embargo.objects.select_for_update(no_key=True).get_or_create(case=case)
    return embargo


def now():
    return timezone.now()
