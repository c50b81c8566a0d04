"""Reading a raw message with the standard library's `email` package, guarded.

Real mail is often broken: defects in MIME, wrong or unknown charsets, raw 8-bit
headers. Mailman lost reports by rejecting such mail; we read what can be read,
note the defects, and only when even that fails is the message quarantined —
kept raw for a moderator, never bounced or dropped.
"""

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import getaddresses

# Headers the rules read; the others (e.g. a To of 10,000 addresses) are never
# parsed, so they cannot slow or break intake.
_READ = (
    "from",
    "sender",
    "reply-to",
    "subject",
    "message-id",
    "in-reply-to",
    "references",
    "auto-submitted",
    "precedence",
    "list-id",
    "x-spam-flag",
    "x-spam-status",
)


_READ_SET = frozenset(_READ)


class Unparseable(Exception):
    pass


@dataclass
class AttachmentPart:
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Parsed:
    message: EmailMessage
    headers: dict[str, str]
    from_addresses: list[str]
    from_name: str
    subject: str
    body: str
    attachments: list[AttachmentPart] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        return self.headers.get(name, "")

    @property
    def message_id(self) -> str:
        return self.header("message-id")[:500]

    @property
    def thread_ids(self) -> list[str]:
        """The Message-IDs this one answers, nearest first."""
        ids = _MSGID.findall(self.header("in-reply-to"))
        ids += reversed(_MSGID.findall(self.header("references")))
        return list(dict.fromkeys(ids))


_MSGID = re.compile(r"<[^<>\s]+>")


# A raw 8-bit byte that the email package kept as a lone surrogate.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def clean(text: str) -> str:
    """Text any database stores: raw 8-bit bytes read as UTF-8 (Latin-1 if that
    fails), no NUL characters (PostgreSQL refuses them)."""
    if _ESCAPED_BYTE.search(text):
        raw = text.encode("utf-8", "surrogateescape")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
    return text.replace("\x00", "")


def _text_of(part) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        # ValueError: a charset whose name holds a NUL (UnicodeError is one too).
        content = None
    if isinstance(content, str):
        return content
    # An unknown or wrong charset, or a part that is no text (a multipart whose
    # boundary is lost): the bytes, read as UTF-8 where they can be.
    payload = part.get_payload(decode=True) or b""
    return payload.decode("utf-8", "replace")


# A message of one part of these types is a file, not a text.
_FILES = ("application", "image", "audio", "video", "model", "font")


def _body_and_attachments(message: EmailMessage) -> tuple[str, list[AttachmentPart]]:
    if message.get_content_type() == "multipart/signed":
        # PGP/MIME: the signed part is the message, the signature is not an attachment.
        parts = message.get_payload()
        if isinstance(parts, list) and parts:
            return _body_and_attachments(parts[0])
    body_part = _body_part(message)
    body = _text_of(body_part) if body_part is not None else ""
    if (
        body_part is None
        and not message.is_multipart()
        and message.get_content_maintype() not in _FILES
        and not message.is_attachment()
    ):
        # One part with no text type the body may have (text/calendar, or a
        # multipart whose boundary is lost): its text is the body.
        body_part = message
        body = _text_of(message)
    attachments: list[AttachmentPart] = []
    _keep_others(message, body_part, attachments)
    return clean(body), attachments


def _body_part(message: EmailMessage):
    """The part that is the message's text, as the email package chooses it;
    the first inline text where it cannot (it raises on a multipart/related
    with no parts)."""
    try:
        return message.get_body(preferencelist=("plain", "html"))
    except (AttributeError, TypeError, IndexError):
        return next(
            (
                part
                for part in message.walk()
                if part.get_content_type() in ("text/plain", "text/html")
                and not part.is_attachment()
            ),
            None,
        )


def _keep_others(part, body_part, kept: list[AttachmentPart], rendering=False) -> None:
    """Every part but the body, as an attachment, so that nothing a sender
    wrote is out of the team's reach: files, inline parts the body does not
    show (a patch, a second text), the parts of a forwarded message. Not the
    texts of the body's other renderings (its HTML beside its plain text),
    but their files (an image the HTML shows).

    A forwarded message is kept in its parts, not whole: the email package
    cannot always write a message again (a multipart whose boundary is lost,
    with 8-bit text), and the mail as it came is kept all the same."""
    if part is body_part:
        return
    if not part.is_multipart():
        if not (rendering and part.get_content_maintype() == "text" and not part.is_attachment()):
            kept.append(_attachment(part, part.get_payload(decode=True) or b""))
        return
    renders_body = part.get_content_subtype() == "alternative" and _holds(part, body_part)
    for child in part.get_payload():
        if isinstance(child, EmailMessage):
            other = renders_body and not _holds(child, body_part)
            _keep_others(child, body_part, kept, rendering or other)


def _holds(part, body_part) -> bool:
    return any(p is body_part for p in part.walk())


def _attachment(part, data: bytes) -> AttachmentPart:
    return AttachmentPart(
        filename=clean(part.get_filename() or "")[:300],
        # Clean too: "Content-Type:\x00 text/plain" gives a type with a NUL.
        content_type=clean(part.get_content_type()).strip(),
        data=data,
    )


def _headers(message: EmailMessage) -> dict[str, str]:
    """The first of each header the rules read, as text. Encoded words are
    decoded directly from the raw value, which costs a tenth of building the
    policy's structured header; a value that does not decode that way is read
    through the policy after all."""
    headers = {}
    for name, raw in message.raw_items():
        key = name.lower()
        if key not in _READ_SET or key in headers:
            continue
        unfolded = " ".join(raw.split())
        try:
            value = str(make_header(decode_header(unfolded)))
        except (LookupError, UnicodeError, ValueError, HeaderParseError):
            value = _through_policy(message, name, unfolded)
        # One line: a line end in an encoded word (=0D=0A) would end the
        # header that secdesk writes with it (In-Reply-To of the
        # acknowledgement), and the mail could not be sent at all.
        headers[key] = " ".join(clean(value).split())
    return headers


def _through_policy(message: EmailMessage, name: str, unfolded: str) -> str:
    """The header as the policy reads it; as written, if even that fails (an
    address with a line end in an encoded word)."""
    try:
        return str(message.get(name))
    except (ValueError, TypeError, IndexError, HeaderParseError):
        return unfolded


def parse(raw: bytes) -> Parsed:
    """The message, read as far as it can be; Unparseable if it cannot be read at all."""
    try:
        message = message_from_bytes(raw, policy=policy.default)
        headers = _headers(message)
        from_name, from_addresses = "", []
        for name, address in getaddresses([headers.get("from", "")]):
            if "@" in address:
                from_addresses.append(address.strip())
                from_name = from_name or name
        body, attachments = _body_and_attachments(message)
        defects = [type(d).__name__ for part in message.walk() for d in part.defects]
    except Exception as err:  # any failure at all means a person must look
        raise Unparseable(f"{type(err).__name__} while reading the message") from err
    return Parsed(
        message=message,
        headers=headers,
        from_addresses=from_addresses,
        from_name=clean(from_name)[:200],
        subject=headers.get("subject", "")[:500],
        body=body,
        attachments=attachments,
        defects=defects,
    )
