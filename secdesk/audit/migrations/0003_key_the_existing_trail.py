"""Re-key the trail written before the audit key: each record's plain SHA-256
hash becomes an HMAC with the key, and the head gets its seal.

Re-keying rather than keeping two kinds of hash side by side: a trail in which
plain hashes stay valid could be rewritten whole with plain hashes by anyone who
can write the database, which is what the key is there to stop.

Only what the plain chain vouches for is re-keyed. A record whose SHA-256 did not
hold keeps its stored hash, and a link that did not hold stays broken (and gaps
in the sequence stay gaps), so `audit verify` names after this migration exactly
what it named before: the key does not launder an earlier rewrite.

The hash functions are copied here as they were when this ran, as a migration's
code must be.
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.db import migrations

GENESIS = "0" * 64


def _body(record) -> str:
    return json.dumps(
        {
            "seq": record.seq,
            "at": record.at.isoformat(),
            "actor": record.actor_id,
            "event": int(record.event),
            "project": record.project_id,
            "case": record.case_id,
            "details": record.details,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def _keyed(text: str) -> str:
    return hmac.digest(settings.AUDIT_KEY, text.encode(), "sha256").hex()


def key_the_trail(apps, schema_editor):
    AuditRecord = apps.get_model("audit", "AuditRecord")
    AuditHead = apps.get_model("audit", "AuditHead")
    head = AuditHead.objects.filter(pk=1).first()
    if head is None:
        return
    stored_before, keyed_before = GENESIS, GENESIS
    batch = []
    for record in AuditRecord.objects.order_by("seq").iterator(chunk_size=2000):
        body = _body(record)
        follows = record.prev_hash == stored_before
        intact = hashlib.sha256((record.prev_hash + body).encode()).hexdigest() == record.hash
        stored_before = record.hash
        if follows:
            record.prev_hash = keyed_before
        if intact:
            record.hash = _keyed(record.prev_hash + body)
        keyed_before = record.hash
        batch.append(record)
        if len(batch) == 2000:
            AuditRecord.objects.bulk_update(batch, ["prev_hash", "hash"])
            batch = []
    AuditRecord.objects.bulk_update(batch, ["prev_hash", "hash"])
    if head.last_hash == stored_before:
        head.last_hash = keyed_before
    head.seal = _keyed(f"head:{head.count}:{head.last_hash}")
    head.save(update_fields=["last_hash", "seal"])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_keyed_head_and_anchors"),
    ]

    operations = [
        # Not reversible: the plain hashes are gone, as they should be.
        migrations.RunPython(key_the_trail),
    ]
