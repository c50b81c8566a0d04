"""The audit key's three uses: each record's hash, the seal of the chain's head,
and the seal of an anchor. All are HMAC-SHA256 with settings.AUDIT_KEY, which is
kept outside the database: whoever can write the database but has not the key
can rewrite the records, yet cannot give them hashes or seals that verify.

Each use hashes a text of its own shape (a record's starts with a hash, the
head's with "head:", an anchor's with "anchor:"), so that one seal can never be
passed off as another.
"""

import hmac
import json

from django.conf import settings

GENESIS = "0" * 64


def _mac(text: str) -> str:
    return hmac.digest(settings.AUDIT_KEY, text.encode(), "sha256").hex()


def record_text(record) -> str:
    """What an AuditRecord's hash covers: everything it holds but its hashes."""
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


def record_hash(prev_hash: str, record) -> str:
    """An AuditRecord's hash: of the one before's, and of all the record holds."""
    return _mac(prev_hash + record_text(record))


def head_seal(count: int, last_hash: str) -> str:
    return _mac(f"head:{count}:{last_hash}")


def anchor_seal(seq: int, hash: str, stamp: str) -> str:
    return _mac(f"anchor:{seq}:{hash}:{stamp}")


def matches(seal: str, expected: str) -> bool:
    return hmac.compare_digest(seal, expected)
