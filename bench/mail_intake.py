"""Mail intake against a bare aiosmtpd server, on SQLite, in one run.

    uv run python bench/mail_intake.py [--messages 1000] [--burst 5000]

1. baseline: a bare aiosmtpd server that accepts and discards;
2. reports: non-member reports through `secdesk mail`, until every one is held
   and its acknowledgement queued (and, separately, the rate of 250 replies);
3. member posts: DKIM-authenticated members writing into a case, each post
   fanned out to the 50 members (and the reporter);
4. a burst of 5,000 messages: stored = accepted.

Clients are 4 concurrent smtplib connections in every part.
"""

import argparse
import os
import shutil
import smtplib
import sys
import tempfile
import threading
import time
from pathlib import Path

CLIENTS = 4


def _setup_django(data: Path):
    os.environ["SECDESK_DATA_DIR"] = str(data)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "secdesk.settings"
    os.environ.setdefault("SECDESK_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _send(port: int, messages: list[tuple[str, str, bytes]]) -> int:
    """Send from CLIENTS connections at once; returns how many got a 250."""
    accepted = [0] * CLIENTS

    def client(n):
        smtp = smtplib.SMTP("127.0.0.1", port, timeout=120)
        for mail_from, rcpt, raw in messages[n::CLIENTS]:
            try:
                smtp.sendmail(mail_from, [rcpt], raw)
                accepted[n] += 1
            except smtplib.SMTPException:
                pass
        smtp.quit()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(accepted)


def _report(n: int, tag: str) -> tuple[str, str, bytes]:
    sender = f"finder{n % 997}@research{n % 7}.example"
    raw = (
        f"From: {sender}\r\nTo: security@bench.example\r\nSubject: {tag} report {n}\r\n"
        f"Message-ID: <{tag}.{n}@research.example>\r\n\r\n"
        f"Steps to reproduce: {'x' * 600}\r\n"
    ).encode()
    return sender, "security@bench.example", raw


def _post(n: int, case, members) -> tuple[str, str, bytes]:
    sender = members[n % len(members)]
    domain = sender.rpartition("@")[2]
    raw = (
        "Authentication-Results: mx.bench.example; dkim=pass header.d="
        f"{domain} header.s=k1\r\n"
        "Received: from mail.example by mx.bench.example; Mon, 2 Mar 2026 09:00:00 +0000\r\n"
        f"From: {sender}\r\nTo: security+{case.token}@bench.example\r\n"
        f"Subject: Re: [{case.reference}] patch {n}\r\nMessage-ID: <post.{n}@{domain}>\r\n\r\n"
        f"Here is a fix, v{n}.\r\n"
    ).encode()
    return sender, f"security+{case.token}@bench.example", raw


def _wait(condition, timeout=600.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("bench: timed out waiting for the intake to finish")
        time.sleep(0.05)


def baseline(messages) -> float:
    from aiosmtpd.controller import Controller

    class Discard:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    port = _free_port()
    controller = Controller(Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        start = time.perf_counter()
        _send(port, messages)
        return len(messages) / (time.perf_counter() - start)
    finally:
        controller.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--burst", type=int, default=5000)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="secdesk-bench-mail-"))
    _setup_django(data)

    from secdesk.cases.models import Case
    from secdesk.mail.daemon import MailServer
    from secdesk.mail.models import Inbound, InboundMessage, OutgoingMessage
    from secdesk.teams.actions import (
        do_accept_policy,
        do_add_member,
        do_create_admin,
        do_create_project,
    )

    root = do_create_admin("root@bench.example")
    project = do_create_project(
        slug="bench", name="bench", security_address="security@bench.example", acting=root
    )
    project.trust_mta_authentication, project.mta_authserv_id = True, "mx.bench.example"
    project.save()
    members = []
    for n in range(49):
        email = f"member{n}@vendor{n % 5}.example"
        membership = do_add_member(project, email=email, role="member", acting=root)
        do_accept_policy(project, acting=membership.person)
        members.append(email)

    reports = [_report(n, "r") for n in range(args.messages)]
    bare = baseline(reports)

    port = _free_port()
    server = MailServer("127.0.0.1", port).start()
    try:
        start = time.perf_counter()
        accepted = _send(port, reports)
        smtp_done = time.perf_counter()
        _wait(lambda: InboundMessage.objects.filter(state=Inbound.HELD).count() >= accepted)
        held_done = time.perf_counter()
        acks = OutgoingMessage.objects.filter(kind="acknowledgement").count()
        accept_rate = accepted / (smtp_done - start)
        report_rate = accepted / (held_done - start)

        case = Case.objects.filter(state="held").order_by("pk").first()
        case.state = "valid"
        case.save(update_fields=["state"])
        posts = [_post(n, case, members) for n in range(args.posts)]
        before = OutgoingMessage.objects.count()
        start = time.perf_counter()
        sent_posts = _send(port, posts)
        _wait(
            lambda: (
                InboundMessage.objects.filter(state=Inbound.ACCEPTED, case=case).count()
                >= sent_posts
            )
        )
        post_rate = sent_posts / (time.perf_counter() - start)
        fanned = (OutgoingMessage.objects.count() - before) / max(sent_posts, 1)

        burst = [_report(n, "b") for n in range(args.burst)]
        stored_before = InboundMessage.objects.count()
        start = time.perf_counter()
        burst_accepted = _send(port, burst)
        burst_rate = burst_accepted / (time.perf_counter() - start)
        stored = InboundMessage.objects.count() - stored_before
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)

    print(f"bare aiosmtpd (accept and discard): {bare:8.1f} messages/s")
    print(
        f"non-member reports, held + acknowledged: {report_rate:8.1f} messages/s "
        f"(ratio {report_rate / bare:.2f}); 250 replies at {accept_rate:.1f}/s "
        f"(ratio {accept_rate / bare:.2f}); {acks} acknowledgements for {accepted} reports "
        "(at most 3 a day per sender)"
    )
    print(
        f"member posts, fanned out to {fanned:.0f} recipients each: {post_rate:8.1f} "
        f"messages/s (ratio {post_rate / bare:.2f})"
    )
    print(
        f"burst of {len(burst)}: {burst_accepted} accepted at {burst_rate:.1f}/s, "
        f"{stored} stored, lost {burst_accepted - stored}"
    )
    if stored != burst_accepted:
        raise SystemExit("bench: messages were lost")


if __name__ == "__main__":
    main()
