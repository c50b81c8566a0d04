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
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        # An unknown or wrong charset: the bytes, read as UTF-8 where they can be.
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace")


def _body_and_attachments(message: EmailMessage) -> tuple[str, list[AttachmentPart]]:
    if message.get_content_type() == "multipart/signed":
        # PGP/MIME: the signed part is the message, the signature is not an attachment.
        parts = message.get_payload()
        if isinstance(parts, list) and parts:
            return _body_and_attachments(parts[0])
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = _text_of(body_part) if body_part is not None else ""
    if body_part is None and not message.is_multipart():
        body = _text_of(message)
    attachments = []
    for part in message.walk():
        if part.is_multipart() or part is body_part:
            continue
        if part.get_content_disposition() != "attachment" and part.get_filename() is None:
            continue
        data = part.get_payload(decode=True) or b""
        attachments.append(
            AttachmentPart(
                filename=clean(part.get_filename() or "")[:300],
                content_type=part.get_content_type(),
                data=data,
            )
        )
    return clean(body), attachments


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
        try:
            value = str(make_header(decode_header(" ".join(raw.split()))))
        except (LookupError, UnicodeError, ValueError, HeaderParseError):
            value = str(message.get(name))
        headers[key] = clean(value).strip()
    return headers


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
