"""Steps recorded on a row, run exactly once each: the publication of a case
and each revision of its advisory.

A step is its work and its record. The work (CVE Services over HTTP, files
under DATA_DIR/public) runs outside any transaction, so the database is never
locked while the network or the disk answers; it must give the same result
when repeated. The record (audit, outbox rows, the step's time) is written in
one short transaction that first checks the step is still not done: a run that
dies after the work and before the record repeats only the work.
"""

from django.db.models import F

from secdesk.cases.actions.common import atomic, now
from secdesk.errors import Refused


def nothing(row) -> None:
    """The work of a step that only records."""
    return None


def run_steps(row, steps) -> object:
    """Run the steps of `row` (a Publication or a Revision) not done yet, in
    order: (field that records the step, work, record). A refused step stops
    the run, its one-line reason and a failure counted on the row; the next
    run retries it. Returns the row as the steps left it."""
    model = type(row)
    for field, work, done in steps:
        row = model.objects.get(pk=row.pk)
        if getattr(row, field) is not None:
            continue
        try:
            outcome = work(row)
            with atomic():
                locked = model.objects.select_for_update().get(pk=row.pk)
                # Another worker may have done the step meanwhile: its record stands.
                if getattr(locked, field) is None:
                    done(locked, outcome)
                    setattr(locked, field, now())
                    locked.last_error = ""
                    locked.save()
        except Refused as refused:
            model.objects.filter(pk=row.pk).update(
                failures=F("failures") + 1, last_error=refused.message[:500]
            )
            raise StepRefused(field, refused.message) from None
    return model.objects.get(pk=row.pk)


class StepRefused(Refused):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
