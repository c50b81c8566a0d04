"""Mail tests: messages as they arrive on the wire, and real OpenPGP keys."""

import contextlib
import os
import signal
import socket
import subprocess
import time
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid

import pysequoia
import pytest
from aiosmtpd.controller import Controller

from secdesk.mail import intake
from secdesk.mail.addresses import resolve, security_addresses
from secdesk.mail.models import InboundMessage
from secdesk.teams.keys import do_add_member_key
from secdesk.testing import Cli, Databases, Process, set_up_libvirt, spawn


def mail(
    *,
    sender="finder@research.example",
    to="security@libvirt.example",
    subject="Heap overflow in the XML parser",
    body="Steps to reproduce: feed it a crafted domain XML.",
    headers=None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="research.example")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def read_in_batches(monkeypatch, reader=None) -> list[list[InboundMessage]]:
    """Run the rules until nothing is left to read (by `reader`, an intake
    without a spool if not given); the rows of each batch."""
    reader = reader or intake.Intake(None)
    batches = []
    read = intake.process_batch
    monkeypatch.setattr(
        intake, "process_batch", lambda rows: (batches.append(list(rows)), read(rows))
    )
    while reader.process_next():
        pass
    return batches


def deliver(raw: bytes, *, mail_from="finder@research.example", to="security@libvirt.example"):
    """Store a message as the daemon does, run the rules, and return its row."""
    table = security_addresses()
    reader = intake.Intake(None)
    [pk] = reader.store([intake.Envelope(raw, mail_from, [(to, resolve(to, table))])])
    reader.process_pending()
    return InboundMessage.objects.get(pk=pk)


@pytest.fixture
def bob_key(bob):
    """bob's real OpenPGP key: the secret part signs, the public part is on file."""
    key = pysequoia.Tsk.generate("Bob <bob@suse.example>")
    do_add_member_key(str(key.extract_certificate()), acting=bob)
    return key


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """An SMTP server that keeps every message it is given, with the recipients
    it accepted for it. `refuse` answers DATA (refusing the whole mail),
    `refuse_rcpt` answers RCPT TO for some addresses (refusing those only).
    It offers PIPELINING, as a site's MTA does, unless `pipelining` is False."""

    def __init__(self):
        self.messages = []
        # The envelope sender of each message, in the same order.
        self.senders = []
        self.refuse = None
        self.refuse_rcpt = {}
        self.pipelining = True

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        self.senders.append(envelope.mail_from)
        return "250 OK"

    def to(self, address):
        return [m for rcpts, m in self.messages if address in rcpts]


@pytest.fixture
def sink():
    handler = Sink()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    yield handler
    controller.stop()


class Daemon:
    def __init__(self, cli: Process):
        self.cli = cli
        self.port = _free_port()
        self.process = None

    def start(self):
        self.process = spawn(
            [self.cli.exe, "mail", "--smtp", f"127.0.0.1:{self.port}"],
            env=self.cli.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        line = ""
        while "mail (smtp) on" not in line:
            line = self.process.stdout.readline()
            assert line, "the daemon stopped before listening"
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


@pytest.fixture
def cli(db, settings, tmp_path):
    """The command in this process, on the test database: libvirt's team, set
    up through it. Mail reaches it through the intake (`deliver`)."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    cli = Cli()
    set_up_libvirt(cli)
    return cli


@pytest.fixture(scope="session")
def mail_databases(tmp_path_factory):
    databases = Databases(tmp_path_factory.mktemp("mail-cli"))
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def desk_template(mail_databases):
    """root's project libvirt, alice (admin) and bob (member): built once through
    the CLI, copied for each daemon test."""
    return mail_databases.template("desk-template", set_up_libvirt)


@pytest.fixture
def desk(mail_databases, desk_template):
    """A copy of the template database, and the mail daemon running on it."""
    cli = mail_databases.cli("mail-" + uuid.uuid4().hex[:8], template=desk_template)
    daemon = Daemon(cli).start()
    yield cli, daemon
    daemon.stop()


def read(cli, query: str) -> list[tuple]:
    """Rows read straight from the daemon's database: cheaper than a CLI process
    when a test waits for the daemon to get somewhere."""
    if cli.env.get("DATABASE_URL"):
        import psycopg

        with psycopg.connect(cli.env["DATABASE_URL"]) as conn:
            return list(conn.execute(query))
    import sqlite3

    with sqlite3.connect(os.path.join(cli.env["SECDESK_DATA_DIR"], "secdesk.sqlite3")) as conn:
        return list(conn.execute(query))


def spooled(cli) -> int:
    """How many messages wait in the daemon's spool (SQLite only)."""
    path = os.path.join(cli.env["SECDESK_DATA_DIR"], "secdesk.sqlite3-spool")
    if cli.env.get("DATABASE_URL", "").startswith("postgres") or not os.path.exists(path):
        return 0
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("select count(*) from mail").fetchone()[0]


def stored_raw(cli, timeout: float = 60.0) -> list[bytes]:
    """Every stored message, once the daemon has moved its spool into the database."""
    deadline = time.monotonic() + timeout
    while spooled(cli) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not spooled(cli), "the daemon did not move its spool into the database"
    return [bytes(raw) for (raw,) in read(cli, "select raw from mail_inboundmessage")]
