"""Sending what the outbox holds: through the SMTP relay, or as .eml files.

SECDESK_SMTP_RELAY=host:port (with SECDESK_SMTP_USER / SECDESK_SMTP_PASSWORD and
SECDESK_SMTP_STARTTLS=yes if the relay wants them) sends through a relay,
over SECDESK_SMTP_CONNECTIONS connections at once (4); without it, each
message is written to DATA_DIR/outbox/ as an .eml file.
"""

import logging
import os
import smtplib
import ssl
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.access import can_see_case
from secdesk.errors import NotFound, Refused
from secdesk.lib import private
from secdesk.lib.database import when_back
from secdesk.mail.pipelining import PipeliningSMTP
from secdesk.mail.rendering import mails
from secdesk.outbox import queue
from secdesk.outbox.models import Outgoing, OutgoingMessage
from secdesk.teams.access import require_role
from secdesk.teams.models import Role

logger = logging.getLogger("secdesk.mail")


def bounces_to(row: OutgoingMessage, recipients: list[str]) -> str:
    """The envelope sender: where bounces and automatic replies go. For mail
    about a case, the recipient's own reply address, so that a bounce, or an
    out-of-office reply quoting embargoed text, is held against its case, for
    the moderators the case admits, and not read as a new report by all of
    them; else the security address."""
    if row.reply_tos:
        return row.reply_tos[recipients[0]]
    return row.reply_to or row.project.security_address


SMTPUTF8 = ("SMTPUTF8", "BODY=8BITMIME")


class Relay:
    """One SMTP connection to the relay, kept open for a batch; each mail's
    envelope pipelined when the relay offers it (`secdesk.mail.pipelining`)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.smtp = None

    def _connect(self):
        smtp = PipeliningSMTP(self.host, self.port, timeout=60)
        if settings.SMTP_STARTTLS:
            smtp.starttls(context=ssl.create_default_context())
        if settings.SMTP_USER:
            smtp.login(settings.SMTP_USER, settings.SMTP_PASSWORD)
        return smtp

    def send(self, row: OutgoingMessage, data: bytes, recipients: list[str]) -> None:
        """Raises SMTPRecipientsRefused if the relay refused any recipient; the
        ones it does not name were accepted."""
        # smtplib closes the connection itself on a 421 (the relay going away).
        if self.smtp is None or self.smtp.sock is None:
            self.smtp = self._connect()
        sender = bounces_to(row, recipients)
        # An internationalised address in the envelope needs the relay's SMTPUTF8
        # (smtplib refuses to send it to a relay without).
        options = () if all(a.isascii() for a in [sender, *recipients]) else SMTPUTF8
        try:
            refused = self.smtp.sendmail(sender, recipients, data, mail_options=options)
        except smtplib.SMTPRecipientsRefused as err:
            # Raised, it means no text went: every recipient refused, or the
            # relay went away amid them. Those it does not name had no mail.
            gone = (421, b"not sent: the relay went away")
            raise smtplib.SMTPRecipientsRefused(
                {address: err.recipients.get(address, gone) for address in recipients}
            ) from err
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)

    def close(self):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None


class Files:
    """The embedded default: each mail an .eml file, written whole or not at all."""

    def __init__(self, directory: Path):
        self.directory = directory
        private.make_dir(directory)

    def send(self, row: OutgoingMessage, data: bytes, recipients: list[str]) -> None:
        """One file for the recipients of one mail; 0600, as mkstemp makes it;
        with the line ends of a file on this system, not SMTP's."""
        data = data.replace(b"\r\n", b"\n")
        name = f"{row.pk:08d}-{row.kind}"
        if row.reply_tos:
            name += f"-{row.to.index(recipients[0]) + 1}"
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, self.directory / f"{name}.eml")
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def close(self):
        pass


def transport():
    if where := settings.SMTP_RELAY:
        return Relay(*where)
    return Files(Path(settings.DATA_DIR) / "outbox")


def _error(err: Exception) -> str:
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        refusals = ", ".join(
            f"{address} {code} {reply.decode(errors='replace')}"
            for address, (code, reply) in err.recipients.items()
        )
        return f"{type(err).__name__}: {refusals}"
    if isinstance(err, smtplib.SMTPResponseException):
        # The relay's answer as it said it, not Python's (554, b'…'): people read it.
        answer = err.smtp_error
        answer = answer.decode(errors="replace") if isinstance(answer, bytes) else answer
        return f"{type(err).__name__}: {err.smtp_code} {answer}"
    return f"{type(err).__name__}: {err}"


def _permanent(err: Exception) -> bool:
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in err.recipients.values())
    code = getattr(err, "smtp_code", None)
    return isinstance(code, int) and code >= 500


class _Attempt:
    """One row's mails on their way: whom the relay took, whom it refused, and
    the first other failure, after which the row's mails not sent yet wait
    for its next attempt. Its mails go out over several connections at once;
    each list is only appended to (one step under the GIL)."""

    def __init__(self, row: OutgoingMessage):
        self.row = row
        self.accepted: list[str] = []
        self.refused: dict = {}
        self.error: Exception | None = None
        self.sending: list[Future] = []

    def send(self, sender, recipients: list[str], data: bytes) -> None:
        if self.error is not None:
            return
        try:
            sender.send(self.row, data, recipients)
        except smtplib.SMTPRecipientsRefused as err:
            self.refused.update(err.recipients)
            self.accepted += [a for a in recipients if a not in err.recipients]
        except Exception as err:
            # Whatever went wrong (the relay, the connection, or a row that
            # cannot be sent as it is), it is this row's: the batch's other
            # rows are sent and recorded.
            self.error = self.error or err
            if not isinstance(err, smtplib.SMTPResponseException):
                # The connection may be gone or out of step: the next mail opens another.
                sender.close()
        else:
            self.accepted += recipients

    def failure(self) -> Exception | None:
        """Once every mail is done: why the row is not sent, or None."""
        for share in self.sending:
            share.result()
        if self.error is None and self.refused:
            return smtplib.SMTPRecipientsRefused(self.refused)
        return self.error


class _Senders:
    """`size` transports used at once, each by one thread. A mail to each of a
    case's 50 members, one after another over one connection, waits for the
    relay's answers twice each (four times without PIPELINING): 100 waits in
    a row, half a second to a relay a few milliseconds away. Spread over
    connections, those waits overlap. On loopback, where the cores bound the
    rate, one connection and four deliver alike (docs/operations.md,
    "Measured")."""

    def __init__(self, size: int):
        self.size = size
        self.local = threading.local()
        self.opened = []
        self.threads = ThreadPoolExecutor(size, thread_name_prefix="secdesk-send")

    def _sender(self):
        sender = getattr(self.local, "sender", None)
        if sender is None:
            sender = self.local.sender = transport()
            self.opened.append(sender)
        return sender

    def start(self, row: OutgoingMessage) -> _Attempt:
        """Send the row's mail to those who have not had it, in the background."""
        attempt = _Attempt(row)
        # A share of the mails for each connection, not a task for each mail:
        # handing 51 mails to the threads one by one cost 30 µs of CPU a mail.
        every = list(mails(row))
        for share in (every[k :: self.size] for k in range(min(self.size, len(every)))):
            attempt.sending.append(self.threads.submit(self._send_all, attempt, share))
        return attempt

    def _send_all(self, attempt: _Attempt, share: list[tuple[list[str], bytes]]) -> None:
        sender = self._sender()
        for recipients, data in share:
            attempt.send(sender, recipients, data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.threads.shutdown(wait=True, cancel_futures=exc[0] is not None)
        for sender in self.opened:
            sender.close()


def deliver_due(limit: int = 200) -> dict:
    """Send the rows that are due; each failure is retried later or marked failed.

    A row goes only to the recipients that the relay has not accepted yet: when
    it refuses some of them, the others are recorded as delivered, and the retry
    goes to the refused ones alone."""
    rows = queue.claim_due(limit)
    sent = failed = 0
    if not rows:
        return {"sent": 0, "failed": 0}
    connections = settings.SMTP_CONNECTIONS if settings.SMTP_RELAY else 1
    with _Senders(connections) as senders:
        for attempt in [senders.start(row) for row in rows]:
            row = attempt.row
            if (err := attempt.failure()) is None:
                sent += 1
                # The relay has it: recorded even if the database is away a
                # moment, or the row's lease would send it again.
                when_back(partial(queue.mark_sent, row))
                continue
            failed += 1
            # Those the relay took must not get the mail twice.
            when_back(
                partial(
                    queue.mark_failed,
                    row,
                    _error(err),
                    permanent=_permanent(err),
                    delivered=attempt.accepted,
                )
            )
            logger.warning("outgoing mail #%s not sent: %s", row.pk, type(err).__name__)
    return {"sent": sent, "failed": failed}


def do_retry(row_id: int, *, acting) -> OutgoingMessage:
    """A moderator sends a failed mail again, now."""
    with transaction.atomic(durable=True):
        row = OutgoingMessage.objects.select_for_update().filter(pk=row_id).first()
        # Mail about a case the moderator may not see is refused as missing mail.
        if row is None or (row.case_id is not None and not can_see_case(acting, row.case)):
            raise NotFound(f"no outgoing mail #{row_id}")
        require_role(acting, row.project, Role.MODERATOR)
        if row.state != Outgoing.FAILED:
            raise Refused(f"outgoing mail #{row_id} is {row.state}; only failed mail is retried")
        row.state, row.attempts, row.next_attempt_at = Outgoing.QUEUED, 0, timezone.now()
        row.save(update_fields=["state", "attempts", "next_attempt_at"])
        record(
            acting, AuditEvent.OUTGOING_RETRIED, project=row.project, case=row.case, outgoing=row.pk
        )
    return row
