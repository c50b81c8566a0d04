"""What bench/scale_out.py checks once the load is done, read from the
database and from what reached the relay: every message stored once, every
web action done once, every outbox mail delivered once to each recipient,
every publication announced once, and the audit trail whole.

Each check is a row: (what, sent, stored, lost, duplicated)."""

import re
from collections import Counter

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def _row(what: str, sent: int, stored: int, lost: int, duplicated: int) -> dict:
    return {"what": what, "sent": sent, "stored": stored, "lost": lost, "duplicated": duplicated}


def mail_rows(accepted: dict[str, list[str]], ids: dict[str, str]) -> list[dict]:
    """Reports and posts over LMTP: each accepted message (by its token,
    `ids` giving its Message-ID) stored once, decided, and for a report, one
    case opened; for a post, one message in its case."""
    from secdesk.mail.models import Inbound, InboundMessage, MessageMail

    rows = []
    for kind, state in (("report", Inbound.HELD), ("post", Inbound.ACCEPTED)):
        wanted = {ids[token] for token in accepted[kind]}
        stored = Counter(
            InboundMessage.objects.filter(message_id__in=wanted).values_list(
                "message_id", flat=True
            )
        )
        decided = InboundMessage.objects.filter(message_id__in=wanted, state=state)
        if kind == "report":
            made = Counter(decided.filter(opened_case=True).values_list("message_id", flat=True))
        else:
            made = Counter(
                MessageMail.objects.filter(message_id__in=wanted).values_list(
                    "message_id", flat=True
                )
            )
        what = (
            "reports over LMTP (case opened)" if kind == "report" else "posts over LMTP (in case)"
        )
        rows.append(
            _row(
                what,
                len(wanted),
                len(set(stored) & set(made)),
                len(wanted - set(stored)) + len(set(stored) - set(made)),
                sum(n - 1 for n in stored.values()) + sum(n - 1 for n in made.values()),
            )
        )
    return rows


def _stored(wanted: set[str]) -> Counter:
    """How many rows hold each message: found by the Message-ID the intake
    read, or, for a row it never read (one that failed), in the raw mail."""
    from secdesk.mail.models import InboundMessage

    rows = InboundMessage.objects.filter(message_id__in=wanted)
    found = Counter(rows.values_list("message_id", flat=True))
    for raw in InboundMessage.objects.filter(message_id="").values_list("raw", flat=True):
        named = MESSAGE_ID.search(bytes(raw))
        if named and named.group(1).decode() in wanted:
            found[named.group(1).decode()] += 1
    return found


def web_rows(done: list[list], move_cases: list[str]) -> list[dict]:
    """Replies through the web: each one answered 302 is in its case once.
    Moves: each step done once per case, whichever web process it reached."""
    from secdesk.audit.models import AuditEvent, AuditRecord
    from secdesk.cases.models import Message

    replies = [token for kind, _, token, status in done if kind == "reply" and status == 302]
    found = Counter()
    for token in replies:
        found[token] = Message.objects.filter(body__contains=f"bench-token-{token}\n").count()
    succeeded = Counter(
        (reference, step)
        for kind, reference, step, status in done
        if kind == "move" and status == 302
    )
    events = {"validate": AuditEvent.REPORT_VALIDATED, "accept": AuditEvent.REPORT_ACCEPTED}
    recorded = Counter()
    for reference in move_cases:
        case_id = _case_id(reference)
        for step, event in events.items():
            recorded[(reference, step)] = AuditRecord.objects.filter(
                case_id=case_id, event=event
            ).count()
    wanted = {(reference, step) for reference in move_cases for step in events}
    return [
        _row(
            "replies through the web",
            len(replies),
            sum(1 for n in found.values() if n),
            sum(1 for n in found.values() if not n),
            sum(max(n - 1, 0) for n in found.values()),
        ),
        _row(
            "report moves through the web (raced)",
            sum(succeeded.values()),
            sum(1 for key in wanted if recorded[key]),
            sum(1 for key in wanted if not recorded[key] or not succeeded[key]),
            sum(max(recorded[key] - 1, 0) + max(succeeded[key] - 1, 0) for key in wanted),
        ),
    ]


def _case_id(reference: str) -> int:
    from secdesk.cases.models import Case

    slug, number = reference.split("#")
    return Case.objects.get(project__slug=slug, number=int(number)).pk


def outbox_row(arrivals, first_row: int) -> dict:
    """Every recipient of every row queued during the load got its mail at
    the relay, once."""
    from secdesk.outbox.models import OutgoingMessage

    wanted = Counter()
    rows = OutgoingMessage.objects.filter(pk__gt=first_row)
    for message_id, to, cc in rows.values_list("message_id", "to", "cc"):
        wanted.update((message_id, r) for r in [*to, *cc])
    got = Counter((a.message_id, r) for a in arrivals for r in a.rcpts)
    return _row(
        "outbox mail to the relay (per recipient)",
        sum(wanted.values()),
        sum(1 for key in wanted if got[key]),
        sum(1 for key in wanted if not got[key]),
        sum(n - 1 for key, n in got.items() if n > 1),
    )


def publications(arrivals, references: list[str], lists: list[str]) -> dict:
    """Each case published once, its announcement at the relay once for each list."""
    from secdesk.advisories.models import Publication
    from secdesk.outbox.models import OutgoingMessage

    ids = [_case_id(r) for r in references]
    finished = Publication.objects.filter(case_id__in=ids, finished_at__isnull=False).count()
    announced = set(
        OutgoingMessage.objects.filter(case_id__in=ids, kind="announcement").values_list(
            "message_id", flat=True
        )
    )
    per_list = Counter(
        (a.message_id, r) for a in arrivals if a.message_id in announced for r in a.rcpts
    )
    return {
        "expected": len(references),
        "published": finished,
        "publication_rows": Publication.objects.filter(case_id__in=ids).count(),
        "announcements_queued": len(announced),
        # An announcement is sent when each list had it.
        "announcements_sent": sum(
            1 for m in announced if all(per_list[(m, address)] for address in lists)
        ),
        "announcements_duplicated": sum(n - 1 for n in per_list.values()),
    }


def quarantined() -> int:
    from secdesk.mail.models import Inbound, InboundMessage

    return InboundMessage.objects.filter(state=Inbound.QUARANTINED).count()


def published_by(root) -> dict[str, int]:
    """Which worker wrote each advisory's files: the one that ran that step."""
    return {
        folder.name: len(list(folder.glob("public/advisories/*.html")))
        for folder in sorted(root.glob("worker-*"))
        if folder.is_dir()
    }


def audit_trail() -> dict:
    from secdesk.audit.verify import check_trail

    verdict = check_trail([])
    return {"records": verdict.records, "problems": verdict.problems}
