"""Writing the audit trail (secdesk/audit/verify.py checks it)."""

import json

from django.db import transaction
from django.utils import timezone

from secdesk.audit import seal
from secdesk.audit.models import AuditEvent, AuditHead, AuditRecord


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _is_json(value) -> bool:
    """Whether `value` reads back from JSON as it is: then it need not make
    the round trip (for a post's audit record, its 51 recipients, that trip
    cost as much as the record's hash)."""
    kind = type(value)
    if kind in (str, int, bool) or value is None:
        return True
    if kind is list:
        return all(_is_json(item) for item in value)
    if kind is dict:
        return all(type(key) is str and _is_json(item) for key, item in value.items())
    return False


def _entry(actor, event, prev: AuditRecord | AuditHead, *, project, case, details) -> AuditRecord:
    seq, prev_hash = (
        (prev.seq, prev.hash) if isinstance(prev, AuditRecord) else (prev.count, prev.last_hash)
    )
    entry = AuditRecord(
        seq=seq + 1,
        at=timezone.now(),
        actor=actor,
        event=event,
        project_id=project.pk if project is not None else (case.project_id if case else None),
        case_id=case.pk if case is not None else None,
        details=details if _is_json(details) else json.loads(json.dumps(details, default=_plain)),
        prev_hash=prev_hash,
    )
    entry.hash = seal.record_hash(prev_hash, entry)
    return entry


def record(actor, event: AuditEvent, *, project=None, case=None, **details) -> AuditRecord:
    """Append one record. Must run inside the action's transaction."""
    return record_each(actor, event, [{"project": project, "case": case, **details}])[0]


def record_each(actor, event: AuditEvent, entries: list[dict]) -> list[AuditRecord]:
    """Append one record per entry (its `project`, `case`, details, and an `actor`
    of its own if it has one), chained in order, with one update of the head:
    for an action on many things at once, such as a batch of reports from the
    mail intake. Inside the transaction."""
    assert transaction.get_connection().in_atomic_block, "audit outside a transaction"
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    # A head whose seal does not match was written without the key, e.g. to hide
    # records cut off the end: it stays unsealed as the chain grows past it, so
    # that `audit verify` still says so. (An empty trail has nothing to hide.)
    sealed = head.count == 0 or seal.matches(head.seal, seal.head_seal(head.count, head.last_hash))
    records, prev = [], head
    for details in entries:
        details = dict(details)
        project, case = details.pop("project", None), details.pop("case", None)
        who = details.pop("actor", actor)
        prev = _entry(who, event, prev, project=project, case=case, details=details)
        records.append(prev)
    AuditRecord.objects.bulk_create(records)
    if records:
        head.last_hash, head.count = prev.hash, prev.seq
        if sealed:
            head.seal = seal.head_seal(head.count, head.last_hash)
        head.save(update_fields=["last_hash", "count", "seal"])
    return records
