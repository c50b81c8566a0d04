"""The real `secdesk mail` daemon in a subprocess, a real smtplib client, and a
real aiosmtpd sink catching what the worker relays."""

import os
import re
import signal
import smtplib
import threading
import time

import pytest

from secdesk.mail.tests.conftest import read, stored_raw
from secdesk.testing import ALICE, BOB, ROOT


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


def _held(cli) -> int:
    [(count,)] = read(cli, "select count(*) from mail_inboundmessage where state = 'held'")
    return count


def _case_mail(cli) -> int:
    [(count,)] = read(cli, "select count(*) from mail_outgoingmessage where case_id is not null")
    return count


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
    assert _until(lambda: _held(cli) == 4)
    held = cli.json("moderation", "list", who=ALICE)
    assert len(held) == 4 and all(h["kind"] == "report" for h in held)
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

    # The reporter answers through their reply address: appended, and to the members.
    with smtplib.SMTP("127.0.0.1", daemon.port) as smtp:
        smtp.sendmail(
            "finder@research.example",
            [reply_to],
            _report(2, to=reply_to).replace("Crash 2", "Re: more detail"),
        )
    # The acknowledgement, then an envelope for the three members and one for
    # the reporter: the report 1, the reply 2, the note 1, the answer 1. Each
    # recipient gets the mail alone: 1 + 3 + 4 + 3 + 3 mails.
    _until(lambda: _case_mail(cli) >= 6)
    listed = cli.json("outbox", "list", "--case", str(held["case"]), who=ALICE)
    assert len(listed) == 6
    assert sum(len(row["to"]) for row in listed) == 14
    _work(cli, sink)
    assert any("more detail" in m["Subject"] for m in sink.to(BOB))


def test_unknown_recipients_are_refused_at_rcpt(desk):
    _, daemon = desk
    with (
        smtplib.SMTP("127.0.0.1", daemon.port) as smtp,
        pytest.raises(smtplib.SMTPRecipientsRefused) as refused,
    ):
        smtp.sendmail("a@b.example", ["nobody@libvirt.example"], _report(1))
    assert refused.value.recipients["nobody@libvirt.example"][0] == 550


def test_the_51st_recipient_is_told_too_many_and_the_first_50_get_the_message(desk):
    cli, daemon = desk
    with smtplib.SMTP("127.0.0.1", daemon.port) as smtp:
        smtp.ehlo()
        smtp.mail("finder@research.example")
        for n in range(50):
            assert smtp.rcpt(f"security+{n}@libvirt.example")[0] == 250
        code, text = smtp.rcpt("security+50@libvirt.example")
        assert (code, text) == (452, b"4.5.3 Too many recipients")
        assert smtp.rcpt("security@libvirt.example")[0] == 452
        assert smtp.data(_report(1).encode())[0] == 250
    assert _until(lambda: _held(cli) == 1)
    [(rcpt_tos,)] = read(cli, "select rcpt_tos from mail_inboundmessage")
    assert "security+49@" in str(rcpt_tos) and "security+50@" not in str(rcpt_tos)


def test_kill_9_mid_burst_loses_no_message_that_got_a_250(desk):
    """Acceptance E: every 250 is committed before it is said."""
    cli, daemon = desk
    total, accepted, lock = 2000, {}, threading.Lock()

    def client(n):
        try:
            with smtplib.SMTP("127.0.0.1", daemon.port, timeout=30) as smtp:
                smtp.ehlo()
                for i in range(n, total, 4):
                    raw = _report(i).replace("<report.", f"<burst.{i}.")
                    smtp.mail("finder@research.example")
                    smtp.rcpt("security@libvirt.example")
                    code, text = smtp.data(raw.encode() if isinstance(raw, str) else raw)
                    if code == 250:
                        with lock:
                            accepted[i] = int(re.search(rb"#(\d+)", text).group(1))
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
    assert got_250 <= set(stored)
    # Each stored once, under the number its sender was told.
    assert len(stored) == len(set(stored))
    by_number = dict(read(cli, "select id, raw from mail_inboundmessage"))
    for i, number in accepted.items():
        assert f"<burst.{i}.".encode() in bytes(by_number[number])


def _stored_burst_numbers(cli) -> list[int]:
    return [
        int(m.group(1)) for raw in stored_raw(cli) if (m := re.search(rb"<burst\.(\d+)\.", raw))
    ]


def test_reports_are_read_while_a_stream_of_mail_is_still_arriving(desk):
    """A flood without pauses must not hold back every report until it ends."""
    cli, daemon = desk
    stop, sent = threading.Event(), []

    def client(n):
        with smtplib.SMTP("127.0.0.1", daemon.port, timeout=30) as smtp:
            i = n
            while not stop.is_set():
                smtp.sendmail("finder@research.example", ["security@libvirt.example"], _report(i))
                sent.append(i)
                i += 2

    threads = [threading.Thread(target=client, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    try:
        held_during_the_stream = _until(lambda: _held(cli) > 0, timeout=20)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert held_during_the_stream
    assert _until(lambda: _held(cli) == len(sent))


def _children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found += [int(child) for child in f.read().split()]
    return found


def test_a_rules_process_that_dies_is_started_again_and_nothing_stored_is_lost(desk):
    cli, daemon = desk
    with smtplib.SMTP("127.0.0.1", daemon.port) as smtp:
        smtp.sendmail("finder@research.example", ["security@libvirt.example"], _report(1))
    assert _until(lambda: _held(cli) == 1)
    [rules] = [c for c in _children(daemon.process.pid) if b"spawn_main" in _cmdline(c)]
    os.kill(rules, signal.SIGKILL)
    with smtplib.SMTP("127.0.0.1", daemon.port) as smtp:
        smtp.sendmail("finder@research.example", ["security@libvirt.example"], _report(2))
    assert _until(lambda: _held(cli) == 2)
    assert rules not in _children(daemon.process.pid)


def _cmdline(pid: int) -> bytes:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read()
