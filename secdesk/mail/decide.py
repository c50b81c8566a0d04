"""Deciding: what secdesk can learn about a batch of claimed messages, each
lookup made once for the batch (our own Message-IDs, whom reply addresses
stand for or which case a thread suggests, who may have sent them, the day's
acknowledgements per sender), so that the intake chain (`chain`) can decide
each message on what it carries.
"""

import logging
import re

from django.core.exceptions import ValidationError
from django.utils import timezone

from secdesk.cases.access import capabilities_named, case_audience
from secdesk.cases.models import Capability, Case
from secdesk.lib.addresses import validate_address
from secdesk.mail.addresses import split
from secdesk.mail.models import AcknowledgementCount, Inbound, InboundMessage, MessageMail
from secdesk.mail.parsing import Parsed, Unparseable, parse
from secdesk.mail.rules import Incoming, Senders, authenticate
from secdesk.outbox.models import OutgoingMessage
from secdesk.teams.models import Membership, Person, Project

logger = logging.getLogger("secdesk.mail")


def parse_row(row: InboundMessage) -> Parsed | None:
    try:
        return parse(bytes(row.raw))
    except Unparseable:
        return None


def note_parsed(row: InboundMessage, msg: Incoming) -> None:
    if msg.parsed is not None:
        row.sender = msg.reporter_address[:500]
        row.subject = msg.parsed.subject
        row.message_id = msg.parsed.message_id


def reporter_address(parsed: Parsed, mail_from: str) -> str:
    for address in [*parsed.from_addresses[:1], mail_from]:
        try:
            validate_address(address)
        except ValidationError:
            continue
        return address
    return ""


def examine_all(items: list[tuple[InboundMessage, Parsed | None]]) -> list[tuple]:
    """What secdesk can learn about stored messages before the rules run, each
    lookup made once for all of them: our own Message-IDs (loops), whom their
    reply addresses stand for (or else which case their thread suggests), who
    may have sent them, and the day's acknowledgements per sender."""
    found = []
    for row, parsed in items:
        msg = Incoming(
            raw=bytes(row.raw),
            mail_from=row.mail_from,
            project=row.project,
            parsed=parsed,
            inbound_id=row.pk,
        )
        if parsed is not None:
            msg.reporter_address = reporter_address(parsed, row.mail_from)
        found.append((row, msg))
    read = [(row, msg) for row, msg in found if msg.parsed is not None]
    if not read:
        return found
    own = set(
        OutgoingMessage.objects.filter(
            message_id__in=[m.parsed.message_id for _, m in read if m.parsed.message_id]
        ).values_list("message_id", flat=True)
    )
    addressed, suggested = _addressed(read)
    copies = _copies(read)
    members = _Members()
    counts = {
        (c.project_id, c.address): c.count
        for c in AcknowledgementCount.objects.filter(
            day=timezone.localdate(),
            project__in={row.project_id for row, _ in read},
            address__in={m.reporter_address.lower() for _, m in read if m.reporter_address},
        )
    }
    for row, msg in read:
        msg.loop = bool(msg.parsed.message_id) and msg.parsed.message_id in own
        msg.reply_capability = capability = addressed.get(row.pk)
        if capability is not None and capability.case.project_id == row.project_id:
            msg.case = capability.case
        msg.suggested_case = suggested.get(row.pk)
        if (original := copies.get(row.pk)) is not None:
            msg.copy_of, msg.copy_read_in = original.pk, original.state == Inbound.ACCEPTED
        authenticate(msg, members.who_may_send(row.project, msg.case))
        if msg.reporter_address:
            msg.acknowledgements_today = counts.get(
                (row.project_id, msg.reporter_address.lower()), 0
            )
    return found


# Headers a mail server on the way puts on top of a message, each attempt its
# own: the rest of a message sent again is the same, byte for byte.
TRACE = frozenset(
    (
        b"received",
        b"return-path",
        b"delivered-to",
        b"x-original-to",
        b"authentication-results",
        b"received-spf",
        b"arc-seal",
        b"arc-message-signature",
        b"arc-authentication-results",
        b"x-spam-flag",
        b"x-spam-status",
        b"x-spam-score",
        b"x-spam-level",
        b"x-virus-scanned",
    )
)


def _content(raw: bytes) -> bytes:
    """The message without the trace headers on top of it: every header its
    sender wrote (From, Reply-To, Content-Type …) and its body, as they came."""
    lines = raw.splitlines(keepends=True)
    start = 0
    while start < len(lines):
        name = lines[start].split(b":", 1)[0].strip().lower()
        if name not in TRACE:
            break
        start += 1
        # A folded header goes on in lines that start with white space.
        while start < len(lines) and lines[start][:1] in (b" ", b"\t"):
            start += 1
    return b"".join(lines[start:])


# Earlier messages compared byte for byte with each one, at most: a sender who
# sends many texts under one Message-ID costs no more than these.
COPIES_COMPARED = 3
# What an earlier message was read to: one still being read, set aside or
# discarded is nobody's original.
READ = (Inbound.ACCEPTED, Inbound.HELD, Inbound.REJECTED)


def _copies(read) -> dict[int, InboundMessage]:
    """For each row that is a copy of a message its project has already read,
    that message: the same envelope sender and recipients, and the same
    headers (Message-ID, From, Subject …) and text but for the trace headers
    on top. A sender's MTA sends a message again when our 250 to it was
    lost, and an MTA in front of secdesk adds headers of its own to each
    attempt; read twice, a post would reach the team twice and a report open
    two cases."""
    keys = {
        row.pk: (row.project_id, msg.parsed.message_id)
        for row, msg in read
        if msg.parsed.message_id
    }
    if not keys:
        return {}
    earlier: dict[tuple, list[InboundMessage]] = {}
    for found in (
        InboundMessage.objects.filter(
            project__in={project for project, _ in keys.values()},
            message_id__in={message_id for _, message_id in keys.values()},
            state__in=READ,
            pk__lt=max(keys),
        )
        .defer("raw")
        .order_by("-pk")
    ):
        earlier.setdefault((found.project_id, found.message_id), []).append(found)
    copies = {}
    for row, msg in read:
        alike = [
            found
            for found in earlier.get(keys.get(row.pk), [])
            if found.pk < row.pk
            and found.mail_from.lower() == row.mail_from.lower()
            and sorted(found.rcpt_tos) == sorted(row.rcpt_tos)
            and found.subject == msg.parsed.subject
        ][:COPIES_COMPARED]
        if not alike:
            continue
        content = _content(bytes(row.raw))
        raws = dict(
            InboundMessage.objects.filter(pk__in=[f.pk for f in alike]).values_list("pk", "raw")
        )
        for found in alike:
            if _content(bytes(raws[found.pk])) == content:
                copies[row.pk] = found
                break
    return copies


def _tokens(row: InboundMessage) -> list[str]:
    return [token for _, token, _ in map(split, row.rcpt_tos) if len(token) == 32]


def _addressed(read) -> tuple[dict[int, Capability], dict[int, int]]:
    """For each row, the reply address's capability its recipients name (live
    or not: the access module marks which admit their holder); for the rows
    without one, the case of the nearest message they answer (In-Reply-To,
    then References), as a suggestion for a moderator only."""
    tokens = {row.pk: _tokens(row) for row, _ in read}
    named = capabilities_named({t for ts in tokens.values() for t in ts}, Capability.Kind.REPLY)
    addressed = {}
    for row, _ in read:
        found = [named[t] for t in tokens[row.pk] if t in named]
        if found:
            addressed[row.pk] = found[0]
    unaddressed = [(row, msg) for row, msg in read if row.pk not in addressed]
    thread_ids = {i for _, m in unaddressed for i in m.parsed.thread_ids}
    by_thread: dict[tuple[int, str], int] = {}
    if thread_ids:
        linked = MessageMail.objects.filter(message_id__in=thread_ids).values_list(
            "message_id", "case_message__case_id", "case_message__case__project_id"
        )
        for message_id, case_id, project_id in linked:
            by_thread[(project_id, message_id)] = case_id
        # What we sent is the surer sign of a thread: it wins.
        sent = OutgoingMessage.objects.filter(
            message_id__in=thread_ids, case__isnull=False
        ).values_list("message_id", "case_id", "project_id")
        for message_id, case_id, project_id in sent:
            by_thread[(project_id, message_id)] = case_id
    suggested = {}
    for row, msg in unaddressed:
        answered = [
            by_thread[(row.project_id, i)]
            for i in msg.parsed.thread_ids
            if (row.project_id, i) in by_thread
        ]
        if answered:
            suggested[row.pk] = answered[0]
    tagged = {
        row.pk: (row.project_id, _tagged_case(row.project, msg.parsed.subject))
        for row, msg in unaddressed
        if row.pk not in suggested and _tagged_case(row.project, msg.parsed.subject)
    }
    if tagged:
        # The tag's number is the case's within the mail's project.
        found = {
            (project, number): pk
            for project, number, pk in Case.objects.filter(
                project_id__in={project for project, _ in tagged.values()},
                number__in={number for _, number in tagged.values()},
            ).values_list("project_id", "number", "pk")
        }
        suggested |= {row: found[key] for row, key in tagged.items() if key in found}
    return addressed, suggested


def _tagged_case(project: Project, subject: str) -> int | None:
    """The case whose reference `[slug#N]` a subject carries, as secdesk's own
    mail writes it (an out-of-office reply to it, say), if it is this project's."""
    found = re.search(rf"\[{re.escape(project.slug)}#(\d+)\]", subject or "", re.IGNORECASE)
    return int(found.group(1)) if found else None


def named_case(row: InboundMessage) -> Case | None:
    """The case a stored message names, for one that failed or was cut off half
    way: quarantined against that case, only those the case admits see it."""
    if row.case_id is not None:
        return row.case
    parsed = parse_row(row)
    if parsed is None:
        return None
    msg = Incoming(raw=b"", mail_from="", project=row.project, parsed=parsed, inbound_id=row.pk)
    try:
        addressed, suggested = _addressed([(row, msg)])
    except Exception as err:
        # What failed may be this very lookup: the message is quarantined all
        # the same, never lost, without a case (for every moderator to see).
        logger.error(
            "inbound #%s: the case it names cannot be found (%s)", row.pk, type(err).__name__
        )
        return None
    capability = addressed.get(row.pk)
    if capability is not None and capability.case.project_id == row.project_id:
        return capability.case
    return Case.objects.filter(pk=suggested.get(row.pk)).first()


class _Members:
    """Who may be the sender: the members who would see the case (or any case),
    read once per project and per case for a batch."""

    def __init__(self):
        self.by_project: dict[int, Senders] = {}
        self.by_case: dict[int, Senders] = {}

    def who_may_send(self, project: Project, case: Case | None) -> Senders:
        if case is not None:
            if case.pk not in self.by_case:
                self.by_case[case.pk] = Senders(list(case_audience(case)))
            return self.by_case[case.pk]
        if project.pk not in self.by_project:
            active = Membership.objects.active().filter(project=project)
            self.by_project[project.pk] = Senders(
                list(Person.objects.filter(memberships__in=active).distinct())
            )
        return self.by_project[project.pk]
