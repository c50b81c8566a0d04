"""The real `secdesk mail` daemon in a subprocess, a real smtplib client, and a
real aiosmtpd sink catching what the worker relays."""

import re
import signal
import smtplib
import socket
import subprocess
import threading
import time
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from secdesk.cli.tests.conftest import Cli, Databases

ROOT, ALICE, BOB = "root@example.org", "alice@redhat.example", "bob@suse.example"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """An SMTP server that keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
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
    def __init__(self, cli: Cli):
        self.cli = cli
        self.port = _free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
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


@pytest.fixture(scope="module")
def cli_databases(tmp_path_factory):
    databases = Databases(tmp_path_factory.mktemp("mail-cli"))
    yield databases
    databases.drop_all()


@pytest.fixture
def desk(cli_databases, request):
    """A fresh database: root's project libvirt, alice (admin) and bob (member)."""
    import uuid

    env = cli_databases.env("mail-" + uuid.uuid4().hex[:8])
    env.pop("db", None)
    cli = Cli(env)
    cli.ok("migrate")
    cli.ok("admin", "create", ROOT)
    cli.ok(
        "project", "create", "libvirt", "--security-address", "security@libvirt.example", who=ROOT
    )
    for email, role in ((ALICE, "admin"), (BOB, "member")):
        cli.ok("member", "add", "libvirt", email, "--role", role, who=ROOT)
        cli.ok("member", "accept-policy", "libvirt", who=email)
    daemon = Daemon(cli).start()
    yield cli, daemon
    daemon.stop()


def _report(n, sender="finder@research.example", to="security@libvirt.example"):
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: Crash {n} in RPC dispatch\r\n"
        f"Message-ID: <report.{n}.{time.monotonic_ns()}@research.example>\r\n\r\n"
        "Steps to reproduce: send a crafted RPC packet.\r\n"
    )


def _until(check, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _work(cli, sink):
    cli.env["SECDESK_SMTP_RELAY"] = f"127.0.0.1:{sink.port}"
    cli.ok("worker", "--once")


def test_a_non_member_report_is_held_and_acknowledged_at_most_three_times_a_day(desk, sink):
    cli, daemon = desk
    with smtplib.SMTP("127.0.0.1", daemon.port) as smtp:
        for n in range(4):
            refused = smtp.sendmail(
                "finder@research.example", ["security@libvirt.example"], _report(n)
            )
            assert refused == {}
    held = _until(
        lambda: (
            len(cli.json("moderation", "list", who=ALICE)) == 4
            and cli.json("moderation", "list", who=ALICE)
        )
    )
    assert held and all(h["kind"] == "report" for h in held)
    _work(cli, sink)
    acks = sink.to("finder@research.example")
    assert len(acks) == 3
    for ack in acks:
        assert ack["Auto-Submitted"] == "auto-replied"
        assert re.search(r"libvirt#\d+", ack.get_content())
        assert ack["Reply-To"].startswith("security+")


def test_approved_report_and_replies_reach_members_and_reporter(desk, sink):
    cli, daemon = desk
    with smtplib.SMTP("127.0.0.1", daemon.port) as smtp:
        smtp.sendmail("finder@research.example", ["security@libvirt.example"], _report(1))
    [held] = _until(lambda: cli.json("moderation", "list", who=ALICE))
    cli.ok("moderation", "approve", str(held["id"]), who=ALICE)
    again = cli("moderation", "approve", str(held["id"]), who=ALICE)
    assert again.code == 2
    _work(cli, sink)
    for member in (ROOT, ALICE, BOB):
        assert any("Crash 1" in m["Subject"] for m in sink.to(member)), member
    reply_to = sink.to("finder@research.example")[0]["Reply-To"]

    # A member's reply from the CLI reaches the reporter and every member.
    cli.ok("case", "reply", str(held["case"]), "--body", "Confirmed, fixing.", who=BOB)
    cli.ok("case", "reply", str(held["case"]), "--body", "internal only", "--internal", who=BOB)
    _work(cli, sink)
    reporter_mail = [m.get_content() for m in sink.to("finder@research.example")]
    assert any("Confirmed, fixing." in text for text in reporter_mail)
    assert not any("internal only" in text for text in reporter_mail)
    assert any("internal only" in m.get_content() for m in sink.to(ALICE))

    # The reporter answers through the case address: appended, and to the members.
    with smtplib.SMTP("127.0.0.1", daemon.port) as smtp:
        smtp.sendmail(
            "finder@research.example",
            [reply_to],
            _report(2, to=reply_to).replace("Crash 2", "Re: more detail"),
        )
    # 1 acknowledgement, 3 for the report, 4 for the reply, 3 for the note, 3 for the answer
    _until(lambda: len(cli.json("outbox", "list", "--case", str(held["case"]), who=ALICE)) >= 14)
    _work(cli, sink)
    assert any("more detail" in m["Subject"] for m in sink.to(BOB))


def test_unknown_recipients_are_refused_at_rcpt(desk):
    _, daemon = desk
    with smtplib.SMTP("127.0.0.1", daemon.port) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.sendmail("a@b.example", ["nobody@libvirt.example"], _report(1))
    assert refused.value.recipients["nobody@libvirt.example"][0] == 550


def test_kill_9_mid_burst_loses_no_message_that_got_a_250(desk):
    """Acceptance E: every 250 is committed before it is said."""
    cli, daemon = desk
    total, accepted, lock = 2000, [], threading.Lock()

    def client(n):
        try:
            with smtplib.SMTP("127.0.0.1", daemon.port, timeout=30) as smtp:
                for i in range(n, total, 4):
                    raw = _report(i).replace("<report.", f"<burst.{i}.")
                    smtp.sendmail("finder@research.example", ["security@libvirt.example"], raw)
                    with lock:
                        accepted.append(i)
        except (smtplib.SMTPException, OSError):
            pass  # the daemon was killed under us

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    _until(lambda: len(accepted) >= 400, timeout=120)
    daemon.process.send_signal(signal.SIGKILL)
    daemon.process.wait()
    for t in threads:
        t.join()
    got_250 = set(accepted)
    assert 0 < len(got_250) < total

    daemon.start()  # restart: the rules read what was stored before the kill
    stored = _stored_burst_numbers(cli)
    assert got_250 <= stored


def _stored_burst_numbers(cli) -> set[int]:
    import os

    query = "select raw from mail_inboundmessage"
    if cli.env.get("DATABASE_URL"):
        import psycopg

        with psycopg.connect(cli.env["DATABASE_URL"]) as conn:
            raws = [bytes(r[0]) for r in conn.execute(query)]
    else:
        import sqlite3

        path = os.path.join(cli.env["SECDESK_DATA_DIR"], "secdesk.sqlite3")
        with sqlite3.connect(path) as conn:
            raws = [bytes(r[0]) for r in conn.execute(query)]
    return {int(m.group(1)) for raw in raws if (m := re.search(rb"<burst\.(\d+)\.", raw))}
