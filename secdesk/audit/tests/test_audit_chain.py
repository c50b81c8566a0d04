import hashlib
from datetime import UTC, datetime
from itertools import pairwise

import pytest
from django.db import transaction

from secdesk.audit import seal
from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent, AuditHead, AuditRecord
from secdesk.audit.verify import check_trail


@pytest.fixture
def trail(new_case, alice):
    new_case()
    return list(AuditRecord.objects.order_by("seq"))


def test_an_untouched_trail_verifies(trail):
    assert len(trail) > 5
    assert check_trail().problems == []


def test_each_record_holds_the_hash_of_the_one_before(trail):
    for before, after in pairwise(trail):
        assert after.prev_hash == before.hash


def test_a_changed_record_is_named(trail):
    AuditRecord.objects.filter(seq=3).update(details={"forged": True})
    assert check_trail().problems == ["record 3 was changed after it was written"]


def test_a_deleted_record_is_named(trail):
    AuditRecord.objects.filter(seq=4).delete()
    assert check_trail().problems == ["record 4 is missing"]


def test_a_deleted_last_record_is_noticed(trail):
    AuditRecord.objects.filter(seq=len(trail)).delete()
    assert check_trail().problems == [
        f"records after {len(trail) - 1} are missing (the chain ends at {len(trail)})"
    ]


def test_a_record_relinked_to_another_is_named(trail):
    AuditRecord.objects.filter(seq=5).update(prev_hash=trail[2].hash)
    assert check_trail().problems == [
        "record 5 was changed after it was written",
        "record 5 does not follow the record before it",
    ]


def test_the_hashes_are_keyed_so_another_key_does_not_verify_them(trail, settings):
    settings.AUDIT_KEY = b"a key someone else holds"
    assert check_trail().problems == [
        f"records 1–{len(trail)} were changed after they were written",
        "the head of the chain was rewritten without the audit key",
    ]


def test_a_trail_rewritten_whole_with_fresh_sha256_hashes_does_not_verify(trail):
    """What someone who can write the database, but has not the key, can do: give
    every record a correct-looking hash, and the head too."""
    prev = seal.GENESIS
    for entry in AuditRecord.objects.order_by("seq"):
        entry.details = {**entry.details, "rewritten": True}
        entry.prev_hash = prev
        entry.hash = hashlib.sha256((prev + seal.record_text(entry)).encode()).hexdigest()
        entry.save()
        prev = entry.hash
    head = AuditHead.objects.get(pk=1)
    head.last_hash = prev
    head.seal = hashlib.sha256(f"head:{head.count}:{prev}".encode()).hexdigest()
    head.save()
    assert check_trail().problems == [
        f"records 1–{len(trail)} were changed after they were written",
        "the head of the chain was rewritten without the audit key",
    ]


def test_records_cut_off_the_end_stay_named_after_the_chain_grows_past_them(trail):
    """The head rewritten to hide the cut: new records extend it, and its seal
    still says it was not secdesk that wrote it."""
    kept = trail[-4]
    AuditRecord.objects.filter(seq__gt=kept.seq).delete()
    AuditHead.objects.filter(pk=1).update(count=kept.seq, last_hash=kept.hash)
    with transaction.atomic():
        record(None, AuditEvent.MAIL_APPENDED, n=1)
    assert check_trail().problems == ["the head of the chain was rewritten without the audit key"]


def test_details_are_kept_as_they_read_back_from_json_whatever_their_types(db):
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
    assert check_trail().problems == []
