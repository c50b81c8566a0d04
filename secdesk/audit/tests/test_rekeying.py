"""The migration that keys a trail written with plain SHA-256 hashes: what held
before holds after, and what was broken before is still named after."""

import hashlib
import importlib

import pytest
from django.apps import apps

from secdesk.audit import seal
from secdesk.audit.models import AuditHead, AuditRecord
from secdesk.audit.verify import check_trail

rekeying = importlib.import_module("secdesk.audit.migrations.0003_key_the_existing_trail")


@pytest.fixture
def plain_trail(new_case, alice):
    """The trail as secdesk wrote it before the audit key: plain SHA-256."""
    new_case()
    prev = seal.GENESIS
    for entry in AuditRecord.objects.order_by("seq"):
        entry.prev_hash = prev
        entry.hash = hashlib.sha256((prev + seal.record_text(entry)).encode()).hexdigest()
        entry.save()
        prev = entry.hash
    AuditHead.objects.filter(pk=1).update(last_hash=prev, seal="")
    return AuditRecord.objects.count()


def test_a_plain_trail_does_not_verify_until_it_is_keyed(plain_trail):
    assert check_trail().problems[0] == (
        f"records 1–{plain_trail} were changed after they were written"
    )
    rekeying.key_the_trail(apps, None)
    assert check_trail().problems == []


def test_keying_names_afterwards_what_the_plain_trail_named(plain_trail):
    AuditRecord.objects.filter(seq=3).update(details={"forged": True})
    AuditRecord.objects.filter(seq=5).delete()
    rekeying.key_the_trail(apps, None)
    assert check_trail().problems == [
        "record 3 was changed after it was written",
        "record 5 is missing",
    ]
