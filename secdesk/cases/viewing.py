"""Views of a case recorded in the audit trail: who saw confidential material."""

from django.db import transaction

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.models import Embargo, EmbargoState


def record_view(person, case, *, via: str) -> None:
    """Who saw confidential material, and how (web, api, cli): for embargo breaches.

    A case is confidential while it is not yet public or an embargo is in force
    on it; the record says which (`embargoed`). A public case's views are not
    recorded: anyone may read it.
    """
    embargoed = Embargo.objects.filter(
        case=case, state__in=[EmbargoState.ACTIVE, EmbargoState.REVISE]
    ).exists()
    if case.public_at is not None and not embargoed:
        return
    with transaction.atomic():
        record(person, AuditEvent.CASE_VIEWED, case=case, via=via, embargoed=embargoed)
