from django.db import transaction
from django.utils import timezone

from secdesk.cases.models import Case, Embargo
from secdesk.errors import NotFound


def atomic():
    # durable: an action is never nested inside another transaction, so its
    # audit record and its on-commit notifications go out with its own commit.
    return transaction.atomic(durable=True)


def lock_case(case_or_id) -> Case:
    """A fresh copy of the case, locked for this transaction (SELECT … FOR UPDATE)."""
    pk = case_or_id.pk if isinstance(case_or_id, Case) else case_or_id
    try:
        # Lock the case row only: PostgreSQL refuses FOR UPDATE on the nullable
        # side of the outer join that brings the policy along.
        return (
            Case.objects.select_for_update(of=("self",))
            .select_related("project__policy")
            .get(pk=pk)
        )
    except Case.DoesNotExist:
        raise NotFound(f"no case #{pk}") from None


def lock_embargo(case: Case) -> Embargo:
    embargo, _ = Embargo.objects.select_for_update().get_or_create(case=case)
    return embargo


def now():
    return timezone.now()
