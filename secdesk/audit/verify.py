"""Checking the audit trail: every record's keyed hash and its link to the one
before, the head's seal, and the anchors (those kept in the database, and any an
admin gives from their mail).

The problems name records by number and anchors by time, never what a record
holds: whoever runs the check need not be allowed to read the trail.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from secdesk.audit import seal
from secdesk.audit.models import AuditAnchor, AuditHead, AuditRecord
from secdesk.errors import BadInput


@dataclass
class Verdict:
    records: int
    last_anchor: AuditAnchor | None
    problems: list[str]


def check_trail(given: Iterable[AuditAnchor] = ()) -> Verdict:
    """The whole trail, against the anchors kept and the `given` ones."""
    kept = list(AuditAnchor.objects.order_by("seq", "pk"))
    given = list(given)
    walk = _Walk({a.seq for a in kept + given})
    for entry in AuditRecord.objects.order_by("seq").iterator(chunk_size=2000):
        walk.take(entry)
    problems = walk.problems()
    problems += _head_problems(AuditHead.objects.filter(pk=1).first(), walk)
    problems += [p for a in kept for p in _anchor_problems(a, walk, given=False)]
    problems += [p for a in given for p in _anchor_problems(a, walk, given=True)]
    return Verdict(walk.count, kept[-1] if kept else None, problems)


def parse_anchor(text: str) -> AuditAnchor:
    """An anchor as the admins' mail gives it: SEQ:HASH:TIME:SEAL."""
    parts = text.strip().split(":")
    try:
        seq, hash, stamp, mac = parts
        at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if int(seq) < 1 or len(hash) != 64 or len(mac) != 64:
            raise ValueError
        int(hash, 16), int(mac, 16)
    except ValueError:
        raise BadInput(
            "an anchor reads SEQ:HASH:TIME:SEAL, as in the anchor mail "
            "(e.g. 42:3f…:20260302T100000Z:9c…)"
        ) from None
    return AuditAnchor(seq=int(seq), hash=hash.lower(), at=at, seal=mac.lower())


def is_sealed(anchor: AuditAnchor) -> bool:
    return seal.matches(anchor.seal, seal.anchor_seal(anchor.seq, anchor.hash, anchor.stamp))


class _Runs:
    """Record numbers as runs of consecutive ones: a rewrite of the whole trail is
    one problem, not one per record, and costs no memory per record."""

    def __init__(self, one: str, many: str):
        self.one, self.many = one, many
        self.runs: list[list[int]] = []

    def add(self, first: int, last: int | None = None) -> None:
        last = first if last is None else last
        if self.runs and self.runs[-1][1] == first - 1:
            self.runs[-1][1] = last
        else:
            self.runs.append([first, last])

    def said(self) -> list[tuple[int, str]]:
        return [
            (
                first,
                self.one.format(first) if first == last else self.many.format(f"{first}–{last}"),
            )
            for first, last in self.runs
        ]


class _Walk:
    """One pass over the records in order, keeping only numbers: the runs of
    records that are missing, changed or unlinked, and the hashes at the
    anchored numbers."""

    def __init__(self, anchored: set[int]):
        self.anchored = anchored
        self.hash_at: dict[int, str] = {}
        self.count, self.last_seq, self.last_hash = 0, 0, seal.GENESIS
        self.missing = _Runs("record {} is missing", "records {} are missing")
        self.changed = _Runs(
            "record {} was changed after it was written",
            "records {} were changed after they were written",
        )
        self.unlinked = _Runs(
            "record {} does not follow the record before it",
            "records {} do not follow the records before them",
        )

    def take(self, entry: AuditRecord) -> None:
        if entry.seq > self.last_seq + 1:
            self.missing.add(self.last_seq + 1, entry.seq - 1)
        elif entry.prev_hash != self.last_hash:
            # After a gap the link is broken by the gap itself: named once, above.
            self.unlinked.add(entry.seq)
        if not seal.matches(entry.hash, seal.record_hash(entry.prev_hash, entry)):
            self.changed.add(entry.seq)
        if entry.seq in self.anchored:
            self.hash_at[entry.seq] = entry.hash
        self.count += 1
        self.last_seq, self.last_hash = entry.seq, entry.hash

    def problems(self) -> list[str]:
        found = self.missing.said() + self.changed.said() + self.unlinked.said()
        return [text for _, text in sorted(found, key=lambda problem: problem[0])]


def _head_problems(head: AuditHead | None, walk: _Walk) -> list[str]:
    if head is None:
        return ["the head of the chain is missing"] if walk.count else []
    found = []
    if head.count and not seal.matches(head.seal, seal.head_seal(head.count, head.last_hash)):
        found.append("the head of the chain was rewritten without the audit key")
    if head.count > walk.last_seq:
        found.append(f"records after {walk.last_seq} are missing (the chain ends at {head.count})")
    elif head.count < walk.last_seq:
        found.append(f"the head of the chain names record {head.count}, not {walk.last_seq}")
    elif head.last_hash != walk.last_hash:
        found.append(f"the head of the chain does not hold record {head.count}'s hash")
    return found


def _anchor_problems(anchor: AuditAnchor, walk: _Walk, *, given: bool) -> list[str]:
    name = f"the anchor{' given' if given else ''} of {anchor.at:%Y-%m-%d %H:%M} UTC"
    if not is_sealed(anchor):
        return [f"{name} (record {anchor.seq}) was not sealed with this secdesk's audit key"]
    found = walk.hash_at.get(anchor.seq)
    if found is None:
        return [f"record {anchor.seq} is missing, though {name} names it"]
    if found != anchor.hash:
        return [f"record {anchor.seq} differs from {name}"]
    return []
