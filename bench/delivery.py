"""End-to-end delivery, the last part of bench/mail_intake.py: member posts
into a case of 50 members, each delivered through the outbox to every member
and the reporter (51 mails, each its own) at a real SMTP relay (relay_sink.py),
timed from the sender's 250 to the last recipient's mail at the relay.

secdesk runs as the operator runs it, in processes of its own: `secdesk serve`
(everything in one process, on SQLite) or `secdesk mail` and `secdesk worker`
(on PostgreSQL). In this order:

1. the relay alone: how many mails clients that send them ready-made get
   the relay to take, over as many connections as secdesk's workers send
   over (SECDESK_SMTP_CONNECTIONS each);
2. posts sent at a steady rate (`--delivery-rate`, 40 posts/s): the rate
   delivered, and the median and 95th percentile of the latency;
3. a flood: as many posts as fast as the senders can, for the most secdesk
   delivers, set against the relay alone.
"""

import json
import shutil
import smtplib
import sys
import tempfile
import time
from pathlib import Path

from processes import Clients, Processes, environment, free_port
from relay_sink import Sink

CLIENTS = 4


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


RAW = (
    b"From: bench@bench.example\r\nTo: member@vendor.example\r\nSubject: [BENCH-1] a post\r\n"
    b"Message-ID: <alone@bench.example>\r\n\r\n" + b"Here is a fix.\r\n" * 20
)


def relay_alone(sink: Sink, connections: int, count: int = 3000) -> float:
    """Mails/s the relay takes from `connections` clients (as many as
    secdesk's workers send over), each in a process of its own, sending them
    ready-made."""
    before = sink.count()
    clients = Clients(__file__, ["--alone", str(sink.port)], [count // connections] * connections)
    start = time.perf_counter()
    clients.go()
    sent = sum(int(answer) for answer in clients.answers())
    seconds = time.perf_counter() - start
    clients.end()
    sink.wait_for(lambda mails: len(mails) >= before + sent)
    return sent / seconds


def alone_client(port: int, path: str) -> None:
    """One connection of `relay_alone`: PATH holds how many mails it sends."""
    count = json.loads(Path(path).read_text())
    smtp = smtplib.SMTP("127.0.0.1", port, timeout=60)
    print("ready", flush=True)
    sys.stdin.readline()
    for _ in range(count):
        smtp.sendmail("bench@bench.example", ["member@vendor.example"], RAW)
    smtp.quit()
    print(count, flush=True)


def _send(port: int, posts: list[tuple[str, str, bytes, str]], rate: float | None):
    """Send `posts` (sender, recipient, raw, token) from CLIENTS processes, at
    `rate` posts/s in all, or as fast as they can. Returns when the clock
    started, and the time of each post's 250 by its token."""
    works = [
        [
            (k / rate if rate else 0.0, f, r, raw.decode("latin-1"), token)
            for k, (f, r, raw, token) in enumerate(posts)
            if k % CLIENTS == n
        ]
        for n in range(CLIENTS)
    ]
    clients = Clients(__file__, [str(port)], works)
    start = time.monotonic() + 0.05
    clients.go(str(start))
    accepted = {}
    for answer in clients.answers():
        accepted.update(json.loads(answer))
    clients.end()
    return start, accepted


def client(port: int, path: str) -> None:
    """One sending connection (a child of `_send`): each post at its time
    after the start, and the time of each 250."""
    posts = json.loads(Path(path).read_text())
    smtp = smtplib.SMTP("127.0.0.1", port, timeout=120)
    print("ready", flush=True)
    start = float(sys.stdin.readline())
    accepted = {}
    for offset, mail_from, rcpt, raw, token in posts:
        if (wait := start + offset - time.monotonic()) > 0:
            time.sleep(wait)
        try:
            smtp.sendmail(mail_from, [rcpt], raw.encode("latin-1"))
        except smtplib.SMTPException:
            continue
        accepted[token] = time.monotonic()
    print(json.dumps(accepted), flush=True)
    smtp.quit()


def _run(sink: Sink, port: int, posts, fan_out: int, rate: float | None) -> dict:
    """Send the posts and wait until the relay has each post's mail for
    every recipient; the figures of the run."""
    tokens = {token for *_, token in posts}
    before = sink.count()
    start, accepted = _send(port, posts, rate)

    def arrived(mails):
        return sum(1 for m in mails[before:] if m.token in tokens) >= fan_out * len(accepted)

    delivered_in_time = sink.wait_for(arrived, timeout=120 + 2 * len(posts))
    last, mails = {}, {}
    with sink.lock:
        ours = [m for m in sink.mails[before:] if m.token in tokens]
    for m in ours:
        last[m.token] = max(last.get(m.token, 0.0), m.at)
        for rcpt in m.rcpts:
            mails[(m.token, rcpt)] = mails.get((m.token, rcpt), 0) + 1
    complete = [t for t in accepted if sum(1 for (k, _) in mails if k == t) >= fan_out]
    latencies = [last[t] - accepted[t] for t in complete]
    end = max(last.values(), default=start)
    return {
        "posts": len(posts),
        "accepted": len(accepted),
        "delivered": len(complete),
        "lost": len(accepted) - len(complete) if not delivered_in_time else 0,
        "duplicated": sum(n - 1 for n in mails.values()),
        "posts_per_s": len(complete) / (end - start) if complete else 0.0,
        "mails_per_s": len(ours) / (end - start) if ours else 0.0,
        "median_s": _quantile(latencies, 0.5) if latencies else None,
        "p95_s": _quantile(latencies, 0.95) if latencies else None,
    }


def _start_secdesk(processes: Processes, shape: str, env: dict, workers: int) -> int:
    """secdesk as the operator runs it; returns the port mail is sent to."""
    port = free_port()
    if shape == "serve":
        web = f"127.0.0.1:{free_port()}"
        args = ["serve", "--web", web, "--smtp", f"127.0.0.1:{port}"]
        processes.start("serve", args, env, ready="worker running")
        return port
    processes.start("mail", ["mail", "--smtp", f"127.0.0.1:{port}"], env, ready="mail (smtp) on")
    for n in range(workers):
        processes.start(f"worker-{n + 1}", ["worker"], env, ready="worker running")
    return port


def measure(args, data: Path, make_posts) -> dict:
    """The delivery part. `make_posts(tag, count)` makes member posts into
    the bench's case, each (sender, recipient, raw, token) with the token in
    its body, so that every mail of it at the relay names the post."""
    from django.conf import settings

    from secdesk.outbox.models import Outgoing, OutgoingMessage

    # The intake's rounds queued mail for nobody to send: out of the way.
    OutgoingMessage.objects.filter(state=Outgoing.QUEUED).update(state=Outgoing.SENT)
    sink = Sink(processes=args.relay_processes, server=args.relay_server)
    logs = Path(tempfile.mkdtemp(prefix="secdesk-bench-delivery-"))
    env = environment(data, args.database_url, SECDESK_SMTP_RELAY=f"127.0.0.1:{sink.port}")
    try:
        workers = 1 if args.delivery == "serve" else args.workers
        alone = relay_alone(sink, workers * settings.SMTP_CONNECTIONS)
        with Processes(logs) as processes:
            port = _start_secdesk(processes, args.delivery, env, args.workers)
            fan_out = _warm_up(sink, port, make_posts("warm", 8))
            steady = _run(
                sink, port, make_posts("steady", args.delivery_posts), fan_out, args.delivery_rate
            )
            flood = _run(sink, port, make_posts("flood", args.delivery_posts), fan_out, None)
    finally:
        sink.stop()
        # A process that did not start has shown its log already (Processes.start).
        shutil.rmtree(logs, ignore_errors=True)
    return {
        "shape": args.delivery,
        "fan_out": fan_out,
        "relay_alone": alone,
        "steady": steady,
        "flood": flood,
    }


def _warm_up(sink: Sink, port: int, posts) -> int:
    """A few posts, delivered before the clock starts (every process has
    read and sent mail once); returns the mails one post makes (its rows'
    recipients: the members and the reporter)."""
    from secdesk.outbox.models import OutgoingMessage

    _send(port, posts, rate=None)
    tokens = {token for *_, token in posts}
    deadline = time.monotonic() + 120
    while not (rows := OutgoingMessage.objects.filter(case_message__body__contains=posts[0][3])):
        if time.monotonic() > deadline:
            raise SystemExit("bench: the warm-up posts did not reach their case")
        time.sleep(0.05)
    fan_out = sum(len(row.recipients) for row in rows)
    wanted = fan_out * len(posts)
    if not sink.wait_for(lambda mails: sum(m.token in tokens for m in mails) >= wanted):
        raise SystemExit("bench: the warm-up posts were not delivered")
    return fan_out


if __name__ == "__main__":
    if sys.argv[1] == "--alone":
        alone_client(int(sys.argv[2]), sys.argv[3])
    else:
        client(int(sys.argv[1]), sys.argv[2])
