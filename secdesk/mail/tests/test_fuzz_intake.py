"""Fuzzing the intake: mail built by hypothesis (`mime_strategies`) through the
whole of it — stored, claimed, decided, carried out — and through the daemon
on loopback. Whatever arrives is kept: held, accepted, discarded as our own
mail come back, or quarantined for a person; nothing raises out of the intake
or the daemon; no mail or page it makes shows a stack trace; and a message
that opens or joins a case brings its text to the team.

The suite runs a few dozen examples; a longer run (docs/mail.md, "Fuzzing the intake"):

    HYPOTHESIS_PROFILE=long uv run pytest secdesk/mail/tests/test_fuzz_intake.py -n0
"""

import os
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import pysequoia
import pytest
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, event, example, given, note, settings
from hypothesis import strategies as st

from secdesk.mail import intake, rendering
from secdesk.mail.addresses import resolve, security_addresses
from secdesk.mail.daemon import MailServer
from secdesk.mail.models import Attachment, Inbound, InboundMessage, MessageMail
from secdesk.mail.parsing import Unparseable, parse
from secdesk.mail.posts import do_post_reply
from secdesk.mail.spool import Spool
from secdesk.mail.tests.mime_headers import MAIL_FROMS
from secdesk.mail.tests.mime_strategies import Mail, mails
from secdesk.outbox.models import OutgoingMessage
from secdesk.web.tests.conftest import pass_second_factor

# The suite's examples, and the long run's (HYPOTHESIS_PROFILE=long).
LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"


def budget(examples: int, long_examples: int):
    return settings(
        max_examples=long_examples if LONG else examples,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


# Reasons that say the intake raised: reading the mail, or carrying it out.
FAILED = ("unparseable", "failure", "interrupted")
REGRESSIONS = Path(__file__).parent / "fixtures" / "fuzz"
REPORTER = "finder@research.example"
CASE_PAGES = 3
KEPT = {Inbound.HELD, Inbound.ACCEPTED, Inbound.QUARANTINED, Inbound.DISCARDED}
STACK_TRACE = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")


@dataclass
class Desk:
    """The project's intake, its addresses (the security address, a reply
    address of the reporter of an open case, details that are no token) and
    a moderator's browser."""

    intake: intake.Intake
    addresses: list[str]
    moderator: Client


@pytest.fixture
def intake_desk(project, alice, bob, new_case, tmp_path):
    # Authentication-Results are read only for a project that trusts its MTA.
    project.trust_mta_authentication, project.mta_authserv_id = True, "mx.libvirt.example"
    project.save()
    case = new_case()
    do_post_reply(case, body="Thanks, we are looking into it.", acting=alice)
    [reply] = [
        r.reply_tos["finder@research.example"]
        for r in OutgoingMessage.objects.filter(case=case)
        if "finder@research.example" in r.reply_tos
    ]
    # The spool beside the database, as the daemon has it on SQLite.
    spool = Spool(tmp_path / "spool") if connection.vendor == "sqlite" else None
    moderator = Client()
    moderator.force_login(alice.user)
    pass_second_factor(moderator, alice.user)
    addresses = [
        "security@libvirt.example",
        reply,
        "security+not-a-token@libvirt.example",
        # A NUL and 8-bit in the detail: SMTP lets both through.
        "security+\x00@libvirt.example",
        "security+jürgen@libvirt.example",
    ]
    yield Desk(intake.Intake(spool), addresses, moderator)
    if spool is not None:
        spool.close()


def _signer(key):
    """Signatures by bob's key that verify: detached (PGP/MIME), or the
    cleartext-signed text (inline)."""

    def sign(data: bytes, clear: bool) -> bytes:
        mode = pysequoia.SignatureMode.CLEAR if clear else pysequoia.SignatureMode.DETACHED
        return pysequoia.sign(key.signer(), data, mode=mode)

    return sign


def _reached(row: InboundMessage) -> str:
    """What the team can read of a message that was held or accepted: the case
    message it became (or, for mail held on a case, its text as the moderator
    reads it), and its attachments."""
    link = MessageMail.objects.filter(inbound=row).select_related("case_message").first()
    if link is not None:
        text = link.case_message.body
    else:
        try:
            text = parse(bytes(row.raw)).body
        except Unparseable:
            text = ""
    files = Attachment.objects.filter(inbound=row).values_list("data", flat=True)
    return text + "".join(bytes(data).decode("latin-1") for data in files)


def _check_mail_made(before: int) -> None:
    """Every mail the intake queued can be written as the worker sends it,
    and none shows a stack trace."""
    for row in OutgoingMessage.objects.filter(pk__gt=before):
        for _, written in rendering.mails(row):
            assert not STACK_TRACE.search(written.decode("utf-8", "replace")), row.kind


def _check_pages(moderator: Client, rows: list[InboundMessage]) -> None:
    """The moderation queue, and each case and quarantined message, as a
    moderator opens them: shown, and with no stack trace."""
    pages = {"/moderation/"}
    for row in rows:
        if row.state == Inbound.QUARANTINED:
            pages.add(f"/moderation/quarantine/{row.pk}/")
    # A case page costs ten times the intake of a message: a few of them (the
    # moderation queue shows the text and subject of every held one).
    cases = {row.case for row in rows if row.case_id is not None}
    for case in sorted(cases, key=lambda c: c.number)[:CASE_PAGES]:
        pages.add(f"/cases/{case.project.slug}/{case.number}/")
    for page in sorted(pages):
        response = moderator.get(page)
        assert response.status_code == 200, page
        assert not STACK_TRACE.search(response.content.decode()), page


def _deliver(desk: Desk, raw: bytes, mail_from: str, to: str) -> InboundMessage:
    envelope = intake.Envelope(raw, mail_from, [(to, resolve(to, security_addresses()))])
    [pk] = desk.intake.store([envelope])
    desk.intake.process_pending()
    return InboundMessage.objects.select_related("case__project").get(pk=pk)


def _check_kept(message: Mail, row: InboundMessage) -> None:
    assert bytes(row.raw) == message.raw
    assert row.state in KEPT
    assert not [r for r in row.reasons if r["rule"] in FAILED], "the intake raised on it"
    if row.state in (Inbound.HELD, Inbound.ACCEPTED):
        reached = _reached(row)
        missing = [m for m in message.markers if m not in reached]
        assert not missing, "text the team cannot reach"


def regressions(test):
    """What fuzzing found, kept as explicit examples: run first, every time.
    Each marker in a file must reach the team."""
    for path in sorted(REGRESSIONS.glob("*.eml")):
        raw = path.read_bytes()
        found = frozenset(m.decode() for m in re.findall(rb"mark\d{8}q", raw))
        kept = example(message=Mail(raw, found), to="security@libvirt.example", mail_from=REPORTER)
        test = kept(test)
    # A NUL in the envelope, which PostgreSQL cannot store as text.
    plain = Mail((REGRESSIONS / "nul_in_charset.eml").read_bytes(), frozenset())
    test = example(message=plain, to="security+\x00@libvirt.example", mail_from=REPORTER)(test)
    return example(message=plain, to="security@libvirt.example", mail_from="a\x00@b.example")(test)


@pytest.mark.django_db
def test_every_message_is_kept_and_what_reaches_a_case_brings_its_text(intake_desk, bob_key):
    rows = []

    @budget(examples=30, long_examples=3000)
    @given(
        message=mails(signer=_signer(bob_key)),
        to=st.sampled_from(intake_desk.addresses),
        mail_from=MAIL_FROMS,
    )
    @regressions
    def deliver(message, to, mail_from):
        note(f"raw: {message.raw!r}")
        outbox = OutgoingMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
        row = _deliver(intake_desk, message.raw, mail_from, to)
        _check_kept(message, row)
        event(f"{row.state}, {'intact' if message.markers else 'broken or no text'}")
        _check_mail_made(outbox or 0)
        rows.append(row)

    deliver()
    # The pages once, for every message: they cost more than the intake.
    _check_pages(intake_desk.moderator, rows)


# --- through the daemon on loopback ------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wire(raw: bytes) -> bytes:
    """DATA as the sender writes it: dot-stuffed, ended by CRLF.CRLF. Bare CR
    and LF go as they are (what SMTP smuggling is made of)."""
    stuffed = re.sub(rb"(^|\r\n)\.", rb"\1..", raw)
    return stuffed + (b"" if stuffed.endswith(b"\r\n") else b"\r\n") + b".\r\n"


def _too_long(raw: bytes) -> bool:
    """A line aiosmtpd refuses (RFC 5321 §4.5.3.1.6: 1000 bytes with CRLF)."""
    return any(len(line) + 2 > 1001 for line in _wire(raw).split(b"\r\n"))


class Session:
    """One SMTP or LMTP conversation on a raw socket: the message goes on the
    wire byte for byte, as smtplib would not send it (it fixes line ends)."""

    def __init__(self, port: int, lmtp: bool):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.file = self.sock.makefile("rb")
        self.reply()
        self.command(b"LHLO fuzz" if lmtp else b"EHLO fuzz")

    def reply(self) -> tuple[int, bytes]:
        lines = [self.file.readline()]
        while lines[-1][3:4] == b"-":
            lines.append(self.file.readline())
        return int(lines[-1][:3]), b"".join(lines)

    def command(self, line: bytes) -> tuple[int, bytes]:
        self.sock.sendall(line + b"\r\n")
        return self.reply()

    def send(self, mail_from: str, to: str, raw: bytes) -> tuple[bytes, int, bytes]:
        """The command the server answered last, and its answer: DATA's, or
        that of the command it refused."""
        for command in (f"MAIL FROM:<{mail_from}> SMTPUTF8", f"RCPT TO:<{to}>", "DATA"):
            code, text = self.command(command.encode())
            if code >= 400:
                self.command(b"RSET")
                return command.encode(), code, text
        self.sock.sendall(_wire(raw))
        return b"DATA", *self.reply()

    def close(self):
        self.command(b"QUIT")
        self.file.close()
        self.sock.close()


ADDRESSES = ["security@libvirt.example", "security+\x00@libvirt.example"]


@pytest.fixture
def daemon(project, alice, request):
    """The intake daemon in this process, as `secdesk serve` runs it."""
    if connection.vendor == "sqlite":
        # The test's database is in memory, shared by the daemon's threads with
        # table locks: the test reads without any, so that it holds up no
        # writer while it waits for the rules.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA read_uncommitted = 1")
    lmtp = request.param == "lmtp"
    port = _free_port()
    server = MailServer("127.0.0.1", port, lmtp=lmtp).start()
    session = Session(port, lmtp)
    yield server, session
    session.close()
    server.stop()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA read_uncommitted = 0")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("daemon", ["smtp", "lmtp"], indirect=True)
@budget(examples=5, long_examples=300)
# Half the senders plain: the odd ones are mostly refused at MAIL FROM.
@given(
    message=mails(),
    mail_from=st.one_of(st.just(REPORTER), MAIL_FROMS),
    to=st.sampled_from(ADDRESSES),
)
def test_the_daemon_stores_every_message_or_refuses_it_with_a_reason(
    daemon, message, mail_from, to
):
    server, session = daemon
    for _ in range(5):
        command, code, text = session.send(mail_from, to, message.raw)
        # On a loaded machine the test database's in-memory tables may be
        # locked by another connection: 451, and a sender tries again.
        if code != 451:
            break
    if command != b"DATA":
        # An envelope address too long for the command line, or malformed.
        assert 500 <= code < 600 and command.startswith(b"MAIL FROM"), text
        event(f"refused: {text.decode().strip()[4:]}")
        return
    if _too_long(message.raw):
        assert code == 500 and b"Line too long" in text
        event("refused: a line over 1000 bytes")
        return
    assert code == 250, text
    number = int(re.search(rb"Stored as #(\d+)", text).group(1))
    row = _wait_until_read(number)
    assert bytes(row.raw) == message.raw + (b"" if message.raw.endswith(b"\r\n") else b"\r\n")
    assert row.state in KEPT
    assert not [r for r in row.reasons if r["rule"] in FAILED]
    event(f"stored, {row.state}")
    assert server.writer.is_alive() and server.rules.is_alive()


def _wait_until_read(number: int) -> InboundMessage:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        row = InboundMessage.objects.filter(pk=number).first()
        if row is not None and row.state not in (Inbound.RECEIVED, Inbound.PROCESSING):
            return row
        time.sleep(0.02)
    raise AssertionError(f"mail #{number} was not read within 30 s")
