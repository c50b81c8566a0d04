"""The mails an outbox row stands for, as the bytes that go to the relay.

A row to a case's team is one mail to each member, alone: the same mail but
for To and Reply-To. Rendering a whole message (the email package parses
every header and encodes the body) took 1.3 ms, so a post to 50 members spent
65 ms on it and end-to-end delivery stayed near 15 posts/s. A row is rendered
once, and each recipient's mail is their own two header lines followed by the
rest: delivery is then bound by the relay's replies, not by rendering
(bench/mail_intake.py, "delivery").
"""

import re
from collections.abc import Iterator
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from secdesk.outbox.models import OutgoingMessage

# Written as SMTP carries them (CRLF); an internationalised address
# (jürgen@uni.example) as UTF-8, as SMTPUTF8 carries it: an encoded word may
# not stand for an address.
ASCII, UTF8 = policy.SMTP, policy.SMTPUTF8


def policy_for(addresses) -> policy.EmailPolicy:
    return ASCII if all(address.isascii() for address in addresses) else UTF8


def _message(row: OutgoingMessage, policy_, *, own_headers: bool) -> bytes:
    """The row's mail; without To and Reply-To when each recipient has their own."""
    project = row.project
    message = EmailMessage(policy=policy_)
    local, _, domain = project.security_address.rpartition("@")
    message["From"] = Address(f"{project.name} security", local, domain)
    if not own_headers:
        message["To"] = ", ".join(row.to)
    if row.cc:
        message["Cc"] = ", ".join(row.cc)
    if row.reply_to and not own_headers:
        message["Reply-To"] = row.reply_to
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = row.message_id
    for name, value in row.headers.items():
        message[name] = value
    message.set_content(row.body)
    return message.as_bytes()


# A plain address (dot-atom@domain, in ASCII) is written as it is: parsing the
# header to learn so took 0.4 ms, as long as sending the mail.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


def _line(policy_, name: str, value: str) -> bytes:
    """One header as the generator writes it in a whole message."""
    line = f"{name}: {value}\r\n"
    if _PLAIN.fullmatch(value) and len(line) <= policy_.max_line_length:
        return line.encode()
    return policy_.fold_binary(name, policy_.header_factory(name, value))


def mails(row: OutgoingMessage) -> Iterator[tuple[list[str], bytes]]:
    """The mails the row still stands for, by their recipients: one for all
    who have not had it; or, when each has a reply address of their own, one
    for each, To them only with Reply-To theirs, which leads an answer into
    the case as theirs and nobody else's."""
    waiting = row.undelivered
    if not row.reply_tos:
        if waiting:
            addresses = [*row.to, *row.cc, row.reply_to]
            yield waiting, _message(row, policy_for(addresses), own_headers=False)
        return
    rest = {}  # the rest of the mail, by whether it is written as UTF-8
    for address in waiting:
        reply_to = row.reply_tos.get(address, "")
        policy_ = policy_for([address, *row.cc, reply_to])
        if policy_.utf8 not in rest:
            rest[policy_.utf8] = _message(row, policy_, own_headers=True)
        own = _line(policy_, "To", address)
        if reply_to:
            own += _line(policy_, "Reply-To", reply_to)
        yield [address], own + rest[policy_.utf8]
