"""The rows that tie a case message to the mail it came from: the link for
threading, and the mail's attachments. The intake's steps, the posts on a
case and the held reports all write them, so they sit below all three."""

from secdesk.mail.models import Attachment, InboundMessage, MessageMail
from secdesk.mail.parsing import Parsed


def link_mail_row(message, row: InboundMessage, parsed: Parsed) -> MessageMail:
    """Tie a case message to the mail it came from, for threading (unsaved)."""
    return MessageMail(
        case_message=message,
        message_id=parsed.message_id,
        in_reply_to=(parsed.thread_ids or [""])[0][:500],
        inbound=row,
    )


def new_attachments(mails: list[tuple[InboundMessage, Parsed | None]]) -> list[Attachment]:
    """The unsaved attachment rows of each (row, parsed) whose attachments are not
    stored yet: mail that was quarantined, then released, has them already."""
    wanted = [(row, parsed) for row, parsed in mails if parsed is not None and parsed.attachments]
    if not wanted:
        return []
    kept = set(
        Attachment.objects.filter(inbound__in=[row for row, _ in wanted]).values_list(
            "inbound_id", flat=True
        )
    )
    return [
        Attachment(
            inbound=row,
            filename=part.filename,
            content_type=part.content_type[:200],
            size=len(part.data),
            sha256=part.sha256,
            data=part.data,
        )
        for row, parsed in wanted
        if row.pk not in kept
        for part in parsed.attachments
    ]
