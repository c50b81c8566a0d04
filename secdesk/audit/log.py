"""Writing and checking the audit trail."""

import hashlib
import json

from django.db import transaction
from django.utils import timezone

from secdesk.audit.models import AuditEvent, AuditHead, AuditRecord
from secdesk.lib.rows import insert_rows


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _digest(prev_hash: str, record: AuditRecord) -> str:
    body = json.dumps(
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
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


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
    entry.hash = _digest(prev_hash, entry)
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
    records, prev = [], head
    for details in entries:
        details = dict(details)
        project, case = details.pop("project", None), details.pop("case", None)
        who = details.pop("actor", actor)
        prev = _entry(who, event, prev, project=project, case=case, details=details)
        records.append(prev)
    insert_rows(records)
    if records:
        head.last_hash, head.count = prev.hash, prev.seq
        head.save(update_fields=["last_hash", "count"])
    return records


def record_view(person, case, *, via: str) -> None:
    """Who saw embargoed material, and how (web, api, cli): for embargo breaches.

    Published cases are public, so their views are not recorded.
    """
    if case.public_at is not None:
        return
    with transaction.atomic():
        record(person, AuditEvent.CASE_VIEWED, case=case, via=via)


def first_broken(records) -> tuple[AuditRecord | int, str] | None:
    """The first record whose chain does not hold, with what is wrong; None if intact."""
    prev_hash, expected_seq = "0" * 64, 1
    for entry in records:
        if entry.seq != expected_seq:
            return expected_seq, f"record {expected_seq} is missing"
        if entry.prev_hash != prev_hash:
            return entry, f"record {entry.seq} does not follow record {entry.seq - 1}"
        if _digest(prev_hash, entry) != entry.hash:
            return entry, f"record {entry.seq} was changed after it was written"
        prev_hash, expected_seq = entry.hash, expected_seq + 1
    head = AuditHead.objects.filter(pk=1).first()
    if head and head.count != expected_seq - 1:
        return (
            head.count,
            f"records after {expected_seq - 1} are missing (the chain ends at {head.count})",
        )
    return None
