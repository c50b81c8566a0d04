"""Who receives a case message, and the mail each of them gets (SPEC §2.3).

Every active member who may see the case receives every message; the reporter
receives the team's replies, never an internal note. As a mailing list does, a
message is one envelope per audience: one for the team, its To header the case
address (members do not see each other's addresses, and a reply-all lands in
the case), and one for the reporter. The envelopes' recipients are the record
of who received what.
"""

from django.utils import timezone

from secdesk.cases.models import Message
from secdesk.lib.rows import insert_rows
from secdesk.mail import outbox
from secdesk.mail.addresses import case_address
from secdesk.mail.models import MessageMail, OutgoingMessage
from secdesk.teams.access import case_audience


def subject_for(case, subject: str) -> str:
    tag = f"[{case.reference}]"
    subject = " ".join((subject or case.title).split())
    return subject if tag in subject else f"{tag} {subject}"


def _body(message: Message, *, for_reporter: bool) -> str:
    case = message.case
    author = message.author.email if message.author else "secdesk"
    if for_reporter:
        footer = (
            f"This is about your report {case.reference}. Reply to this mail to answer "
            "the security team; your answer joins the case."
        )
    else:
        note = " (internal: not sent to the reporter)" if message.internal else ""
        footer = (
            f"Case {case.reference}{note}. Embargoed: do not forward. Reply to this mail "
            "(signed with your OpenPGP key) to answer into the case."
        )
    return f"{author} wrote:\n\n{message.body.rstrip()}\n\n-- \n{footer}\n"


def _envelope(
    message: Message, audience: str, to: list[str], *, header_to: str = ""
) -> OutgoingMessage:
    case = message.case
    row = outbox.new_row(
        project=case.project,
        case=case,
        case_message=message,
        to=to,
        header_to=header_to,
        subject=subject_for(case, message.subject),
        body=_body(message, for_reporter=audience == "reporter"),
        kind="internal-note" if message.internal else "case-message",
        reply_to=case_address(case),
        headers={"X-Secdesk-Case": case.reference},
        dedupe_key=f"message:{message.pk}:{audience}" if message.pk else None,
    )
    # Kept for `name_envelope`, when the message is written with its envelopes.
    row.audience = audience
    return row


def name_envelope(row: OutgoingMessage) -> None:
    """The once-only key of an envelope built before its message had an id."""
    row.dedupe_key = f"message:{row.case_message.pk}:{row.audience}"


def envelopes(message: Message, members: list[str], *, to_reporter: bool) -> list[OutgoingMessage]:
    """The unsaved outbox rows for a message: one for the team (`members`, the
    case's audience), one for the reporter when `to_reporter`."""
    case = message.case
    reporter = case.reporter
    rows = []
    if members:
        rows.append(_envelope(message, "team", members, header_to=case_address(case)))
    to_reporter = to_reporter and not message.internal and reporter is not None
    # A reporter who is also a member has the team's mail already.
    if to_reporter and reporter.email.lower() not in {m.lower() for m in members}:
        rows.append(_envelope(message, "reporter", [reporter.email]))
    return rows


def audience_addresses(case) -> list[str]:
    return list(case_audience(case).values_list("email", flat=True))


def distribute(message: Message, *, to_reporter: bool) -> list[OutgoingMessage]:
    """Queue the message for the case's members (and the reporter when
    `to_reporter`); call inside the action's transaction. Once only."""
    mail = MessageMail.objects.select_for_update().filter(case_message=message).first()
    if mail is None:
        mail = MessageMail.objects.create(case_message=message)
    if mail.distributed_at is not None:
        return []
    rows = envelopes(message, audience_addresses(message.case), to_reporter=to_reporter)
    insert_rows(rows)
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
