from itertools import pairwise

import pytest

from secdesk.audit.log import first_broken
from secdesk.audit.models import AuditEvent, AuditRecord


@pytest.fixture
def trail(new_case, alice):
    new_case()
    return list(AuditRecord.objects.order_by("seq"))


def test_an_untouched_trail_verifies(trail):
    assert len(trail) > 5
    assert first_broken(AuditRecord.objects.order_by("seq")) is None


def test_each_record_holds_the_hash_of_the_one_before(trail):
    for before, after in pairwise(trail):
        assert after.prev_hash == before.hash


def test_a_changed_record_is_named(trail):
    AuditRecord.objects.filter(seq=3).update(details={"forged": True})
    record, why = first_broken(AuditRecord.objects.order_by("seq"))
    assert record.seq == 3
    assert why == "record 3 was changed after it was written"


def test_a_deleted_record_is_named(trail):
    AuditRecord.objects.filter(seq=4).delete()
    missing, why = first_broken(AuditRecord.objects.order_by("seq"))
    assert (missing, why) == (4, "record 4 is missing")


def test_a_deleted_last_record_is_noticed(trail):
    AuditRecord.objects.filter(seq=len(trail)).delete()
    _, why = first_broken(AuditRecord.objects.order_by("seq"))
    assert why == f"records after {len(trail) - 1} are missing (the chain ends at {len(trail)})"


def test_details_are_kept_as_they_read_back_from_json_whatever_their_types(db):
    from datetime import UTC, datetime

    from django.db import transaction

    from secdesk.audit.log import record

    when = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with transaction.atomic():
        plain = record(None, AuditEvent.MAIL_APPENDED, recipients=["a@x.example"], n=3, ok=True)
        other = record(
            None,
            AuditEvent.MAIL_APPENDED,
            recipients=("a@x.example",),
            at=when,
            kind=AuditEvent.MAIL_HELD,
            ids={1: "one"},
        )
    assert plain.details == {"recipients": ["a@x.example"], "n": 3, "ok": True}
    assert other.details == {
        "recipients": ["a@x.example"],
        "at": when.isoformat(),
        "kind": int(AuditEvent.MAIL_HELD),
        "ids": {"1": "one"},
    }
    stored = AuditRecord.objects.order_by("seq")
    assert [r.details for r in stored] == [plain.details, other.details]
    assert first_broken(stored) is None
