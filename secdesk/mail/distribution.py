"""Who receives a case message, and the mail each of them gets.

Every active member who may see the case receives every message; the reporter
receives the team's replies, never an internal note. A message is one envelope
for the team and one for the reporter, and each recipient gets the mail alone,
addressed to them only, with a reply address that is theirs: a reply is
attributed to that recipient and to nobody else, and only while they keep
their access (`secdesk.cases.capabilities`). Nobody sees who else received
it. Only the reporter's mail carries the reporter's private link. The
envelopes' recipients are the record of who received what.
"""

from django.utils import timezone

from secdesk.cases import capabilities
from secdesk.cases.access import case_audience, reporter_admitted
from secdesk.cases.models import Message
from secdesk.lib.mail_text import mail_text
from secdesk.mail.models import MessageMail
from secdesk.outbox import queue
from secdesk.outbox.addresses import reply_address
from secdesk.outbox.models import OutgoingMessage
from secdesk.outbox.queue import subject_for

TEAM, REPORTER = "team", "reporter"


def _body(message: Message, *, link: str = "") -> str:
    return mail_text(
        "mail/post.txt",
        author=message.author.email if message.author else "secdesk",
        body=message.body.rstrip(),
        reference=message.case.reference,
        internal=message.internal,
        link=link,
    )


def _envelope(message: Message, audience: str, reply_tos: dict[str, str], *, link: str = ""):
    """The envelope of `message` for one audience (the team, or the reporter):
    its recipients, each with their own reply address (`reply_tos`)."""
    case = message.case
    row = queue.new_row(
        project=case.project,
        case=case,
        case_message=message,
        to=list(reply_tos),
        reply_tos=reply_tos,
        subject=subject_for(case, message.subject),
        body=_body(message, link=link),
        kind="internal-note" if message.internal else "case-message",
        headers={"X-Secdesk-Case": case.reference},
        dedupe_key=f"message:{message.pk}:{audience}" if message.pk else None,
    )
    # Kept for `name_envelope`, when the message is written with its envelopes.
    row.audience = audience
    return row


def name_envelope(row: OutgoingMessage) -> None:
    """The once-only key of an envelope built before its message had an id."""
    row.dedupe_key = f"message:{row.case_message.pk}:{row.audience}"


def audience(case) -> list[tuple[int, str]]:
    """The members who receive the case's mail, as (person id, address)."""
    return list(case_audience(case).order_by("pk").values_list("pk", "email"))


def _to_reporter(message: Message, members: list[tuple[int, str]], to_reporter: bool) -> bool:
    """Whether the reporter gets the message, `to_reporter` being whether it is
    for them and whether they may still hear of the case (`reporter_admitted`,
    asked once by the caller for all the messages it writes)."""
    reporter = message.case.reporter
    # A reporter who is also a member has the team's mail already.
    return (
        to_reporter
        and not message.internal
        and reporter is not None
        and reporter.email.lower() not in {address.lower() for _, address in members}
    )


def tokens_needed(case, members: list[tuple[int, str]], *, to_reporter: bool):
    """What `capabilities.plan` (or `issued`) is asked for the envelopes of
    mail to `members`, and to the reporter when `to_reporter`: (replies, links)."""
    replies = [pk for pk, _ in members]
    if to_reporter and case.reporter_id is not None:
        return [*replies, case.reporter_id], [case.reporter_id]
    return replies, []


def envelopes(
    message: Message,
    members: list[tuple[int, str]],
    tokens: capabilities.Planned,
    *,
    to_reporter: bool,
) -> list[OutgoingMessage]:
    """The unsaved outbox rows for a message: one for `members` (the case's
    audience), one for the reporter when `to_reporter`. Each recipient gets
    the mail alone, with their own reply address from `tokens`."""
    project = message.case.project
    rows = []
    if members:
        reply_tos = {address: reply_address(project, tokens.reply(pk)) for pk, address in members}
        rows.append(_envelope(message, TEAM, reply_tos))
    if _to_reporter(message, members, to_reporter):
        reporter = message.case.reporter
        link = capabilities.reporter_url(tokens.link(reporter.pk))
        reply_tos = {reporter.email: reply_address(project, tokens.reply(reporter.pk))}
        rows.append(_envelope(message, REPORTER, reply_tos, link=link))
    return rows


def distribute(message: Message, *, to_reporter: bool) -> list[OutgoingMessage]:
    """Queue the message for the case's members (and the reporter when
    `to_reporter`); call inside the action's transaction. Once only."""
    mail = MessageMail.objects.select_for_update().filter(case_message=message).first()
    if mail is None:
        mail = MessageMail.objects.create(case_message=message)
    if mail.distributed_at is not None:
        return []
    case = message.case
    members = audience(case)
    # A reporter who was a member and lost access to the case hears nothing more.
    to_reporter = to_reporter and reporter_admitted(case)
    replies, links = tokens_needed(
        case, members, to_reporter=_to_reporter(message, members, to_reporter)
    )
    tokens = capabilities.issued(case, replies, links)
    rows = envelopes(message, members, tokens, to_reporter=to_reporter)
    OutgoingMessage.objects.bulk_create(rows)
    mail.distributed_at = timezone.now()
    mail.save(update_fields=["distributed_at"])
    return rows


def distribute_pending(case) -> int:
    """Send out the case's messages that waited for its approval (the report,
    and whatever the reporter added while it was held)."""
    waiting = Message.objects.filter(case=case, mail__distributed_at__isnull=True).select_related(
        "author", "case__project", "case__reporter"
    )
    count = 0
    for message in waiting:
        from_team = message.author is not None and message.author != case.reporter
        count += len(distribute(message, to_reporter=from_team))
    return count


def enqueue_each(
    *,
    project,
    people,
    subject: str,
    body: str,
    kind: str,
    case=None,
    headers: dict[str, str] | None = None,
    dedupe_key: str | None = None,
) -> list[OutgoingMessage]:
    """One mail per person — never a shared To or Cc, so nobody learns who else
    received it — each, for a mail about a case, with a reply address that is
    that person's own (a reply is attributed to them and to nobody else, and
    only while they keep their access). Inside the caller's transaction; a
    repeated `dedupe_key` queues nothing for a person who has it already."""
    people = list(people)
    tokens = capabilities.tokens_for(case, people) if case is not None else {}
    rows = []
    for person in people:
        token = tokens.get(person.pk)
        row, _ = queue.enqueue_once(
            project=project,
            to=[person.email],
            subject=subject,
            body=body,
            kind=kind,
            case=case,
            reply_to=reply_address(project, token) if token else None,
            headers=headers,
            dedupe_key=f"{dedupe_key}:{person.pk}" if dedupe_key else None,
        )
        rows.append(row)
    return rows
