"""Mail intake against a bare aiosmtpd server, on SQLite, in one run.

    uv run python bench/mail_intake.py [--rounds 5] [--messages 1000] [--posts 1000]
        [--burst 5000] [--rules process|thread] [--database-url postgres://…/empty]
        [--delivery serve|mail+worker|none] [--delivery-rate 40] [--delivery-posts 400]
        [--workers 2] [--relay-processes 2] [--relay-server lean|aiosmtpd]

The intake daemon runs as `secdesk mail` runs it (the rules in a process of
their own; `--rules thread` as in `secdesk serve`). Each round measures, in
this order:

1. a bare aiosmtpd server that accepts and discards;
2. non-member reports, until every one is held and its acknowledgement
   queued (and, separately, the rate of 250 replies);
3. the bare server again;
4. member posts: DKIM-authenticated members writing into a case, until each
   post is in the case and queued for the 50 members and the reporter;
5. the bare server again.

The machine is shared and its speed drifts within a run, so each of secdesk's
rates is set against the bare server's runs just before and after it, and the
median of the rounds' ratios is the result. Then a burst of 5,000
messages: stored = accepted. Last, end-to-end delivery (bench/delivery.py):
member posts through the outbox to a real relay, from the sender's 250 to
the last recipient's mail, with secdesk in processes of its own as the
operator runs it (`secdesk serve` on SQLite, `secdesk mail` and `secdesk
worker` on PostgreSQL).

Clients are 4 concurrent smtplib connections, each in a process of its own, in
every part.
"""

import argparse
import json
import os
import shutil
import smtplib
import sys
import tempfile
import time
from pathlib import Path

import delivery
from processes import Clients, free_port
from team import bench_team

CLIENTS = 4


def _setup_django(data: Path, database_url: str | None = None):
    os.environ["SECDESK_DATA_DIR"] = str(data)
    os.environ.pop("DATABASE_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "secdesk.settings"
    os.environ.setdefault("SECDESK_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _send(
    port: int, messages: list[tuple[str, str, bytes]], until=None
) -> tuple[int, float, float]:
    """Send from CLIENTS connections at once, then wait for `until(accepted)`.
    Returns how many got a 250, the seconds until the last 250, and the seconds
    until `until` held.

    Each connection is a process of its own (`Clients`). The clock starts
    when every client is connected and ready."""
    # latin-1: every byte one character, so the raw mail crosses unchanged.
    works = [
        [(f, r, raw.decode("latin-1")) for f, r, raw in messages[n::CLIENTS]]
        for n in range(CLIENTS)
    ]
    clients = Clients(__file__, ["--client", str(port)], works)
    start = time.perf_counter()
    clients.go()
    accepted = sum(int(answer) for answer in clients.answers())
    sent = time.perf_counter() - start
    if until is not None:
        _wait(lambda: until(accepted))
    done = time.perf_counter() - start
    clients.end()
    return accepted, sent, done


def client(port: int, path: str) -> None:
    """One sending connection (a child of `_send`)."""
    messages = [(f, r, raw.encode("latin-1")) for f, r, raw in json.loads(Path(path).read_text())]
    smtp = smtplib.SMTP("127.0.0.1", port, timeout=120)
    print("ready", flush=True)
    sys.stdin.readline()
    accepted = 0
    for mail_from, rcpt, raw in messages:
        try:
            smtp.sendmail(mail_from, [rcpt], raw)
            accepted += 1
        except smtplib.SMTPException:
            pass
    print(accepted, flush=True)
    smtp.quit()


def _report(n: int, tag: str, sender: str = "", round_: int = 0) -> tuple[str, str, bytes]:
    # New senders each round: the day's limit of acknowledgements is not reached.
    sender = sender or f"finder{n % 997}@research{n % 7}-{round_}.example"
    raw = (
        f"From: {sender}\r\nTo: security@bench.example\r\nSubject: {tag} report {n}\r\n"
        f"Message-ID: <{tag}.{n}@research.example>\r\n\r\n"
        f"Steps to reproduce: {'x' * 600}\r\n"
    ).encode()
    return sender, "security@bench.example", raw


def _post(n: int, case, members, addresses, tag: str = "post") -> tuple[str, str, bytes]:
    """A member's post, to their own reply address (`addresses`: member → it)."""
    sender = members[n % len(members)]
    domain = sender.rpartition("@")[2]
    raw = (
        "Authentication-Results: mx.bench.example; dkim=pass header.d="
        f"{domain} header.s=k1\r\n"
        "Received: from mail.example by mx.bench.example; Mon, 2 Mar 2026 09:00:00 +0000\r\n"
        f"From: {sender}\r\nTo: {addresses[sender]}\r\n"
        f"Subject: Re: [{case.reference}] patch {n}\r\nMessage-ID: <{tag}.{n}@{domain}>\r\n\r\n"
        f"Here is a fix, v{n}.\r\nbench-token-{tag}.{n}\r\n"
    ).encode()
    return sender, addresses[sender], raw


def _wait(condition, timeout=600.0):
    # Looked at every 10 ms: a run lasts about a second, and the rate counts
    # until the last message is seen done (every 50 ms, that was up to 5%).
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("bench: timed out waiting for the intake to finish")
        time.sleep(0.01)


def baseline(messages) -> float:
    from aiosmtpd.controller import Controller

    class Discard:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    port = free_port()
    controller = Controller(Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        accepted, seconds, _ = _send(port, messages)
        return accepted / seconds
    finally:
        controller.stop()


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000, help="reports per round")
    parser.add_argument("--posts", type=int, default=1000, help="member posts per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument(
        "--rules",
        choices=("process", "thread"),
        default="process",
        help="where the rules run: a process of their own, as in `secdesk mail` (default), "
        "or a thread, as in `secdesk serve`",
    )
    parser.add_argument(
        "--database-url",
        help="an empty PostgreSQL database to measure instead of SQLite (its tables are created)",
    )
    parser.add_argument(
        "--delivery",
        choices=("serve", "mail+worker", "none"),
        help="how secdesk runs for end-to-end delivery (default: serve on SQLite, "
        "mail+worker on PostgreSQL), or none",
    )
    parser.add_argument("--delivery-rate", type=float, default=40.0, help="posts/s, steady")
    parser.add_argument("--delivery-posts", type=int, default=400, help="posts per delivery run")
    parser.add_argument("--workers", type=int, default=2, help="`secdesk worker` processes")
    parser.add_argument(
        "--relay-processes", type=int, default=2, help="processes of the relay delivered to"
    )
    parser.add_argument(
        "--relay-server",
        choices=("lean", "aiosmtpd"),
        default="lean",
        help="the relay's SMTP server (bench/relay_sink.py)",
    )
    args = parser.parse_args()
    args.delivery = args.delivery or ("mail+worker" if args.database_url else "serve")
    return args


def _team():
    """The bench project (bench/team.py) with 49 members (50 with its
    admin). Returns the project and the members' addresses."""
    project, people = bench_team(49)
    return project, [person.email for person in people]


def _last_stored() -> int:
    from secdesk.mail.models import InboundMessage

    return InboundMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _decided(state: str, after: int, case_id: int | None = None) -> int:
    """How many messages stored after `after` are in `state`. Asked every
    10 ms while secdesk runs, so in one plain statement over this round's
    rows: through the ORM over all rows, a poll cost 0.76 ms, 7% of a core
    taken from secdesk and not from the bare server."""
    from django.db import connection

    from secdesk.mail.models import InboundMessage

    # The table's name from the model's own metadata; every value a parameter.
    table = InboundMessage._meta.db_table
    sql = f"SELECT count(*) FROM {table} WHERE id > %s AND state = %s"  # noqa: S608
    params = [after, state]
    if case_id is not None:
        sql += " AND case_id = %s"
        params.append(case_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _warm_up(port: int, project, members: list[str]):
    """A sustained rate, not a start-up: the rules process has read one
    report (Django set up, connections open) before the clock starts. That
    report's case is the one the members post into; returns it and each
    member's reply address."""
    from django.db import transaction

    from secdesk.cases.capabilities import tokens_for
    from secdesk.cases.models import Case
    from secdesk.mail.models import Inbound
    from secdesk.outbox.addresses import reply_address
    from secdesk.teams.models import Person

    _send(
        port,
        [_report(0, "warm-up", sender="warm-up@bench.example")],
        until=lambda n: _decided(Inbound.HELD, 0) >= n,
    )
    case = Case.objects.get()
    case.state = "valid"
    case.save(update_fields=["state"])
    people = list(Person.objects.filter(email__in=members))
    with transaction.atomic():
        tokens = tokens_for(case, people)
    return case, {p.email: reply_address(project, tokens[p.pk]) for p in people}


def _round(r: int, port: int, case, members, addresses, args) -> dict:
    """One round: bare, reports, bare, posts, bare."""
    from secdesk.mail.models import Inbound
    from secdesk.outbox.models import OutgoingMessage

    # The machine's speed drifts (it is shared): each of secdesk's runs
    # is set against the bare server's runs just before and after it.
    reports = [_report(n, f"r{r}", round_=r) for n in range(args.messages)]
    posts = [_post(n, case, members, addresses, tag=f"p{r}") for n in range(args.posts)]
    bare_before = baseline(reports)
    after = _last_stored()
    acks_before = OutgoingMessage.objects.filter(kind="acknowledgement").count()
    accepted, smtp_seconds, held_seconds = _send(
        port, reports, until=lambda n: _decided(Inbound.HELD, after) >= n
    )
    acks = OutgoingMessage.objects.filter(kind="acknowledgement").count() - acks_before
    bare_between = baseline(reports)
    before = OutgoingMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
    after = _last_stored()
    sent_posts, post_smtp_seconds, post_seconds = _send(
        port, posts, until=lambda n: _decided(Inbound.ACCEPTED, after, case.pk) >= n
    )
    bare_after = baseline(reports)
    queued = OutgoingMessage.objects.filter(pk__gt=before, case=case)
    for_reports, for_posts = (bare_before + bare_between) / 2, (bare_between + bare_after) / 2
    found = {
        "bare": (bare_before + bare_between + bare_after) / 3,
        "reports": accepted / held_seconds / for_reports,
        "replies": accepted / smtp_seconds / for_reports,
        "posts": sent_posts / post_seconds / for_posts,
        "post_replies": sent_posts / post_smtp_seconds / for_posts,
        "report_rate": accepted / held_seconds,
        "post_rate": sent_posts / post_seconds,
        "acks": acks,
        "accepted": accepted,
        "fanned": sum(len(row.recipients) for row in queued) / max(sent_posts, 1),
        "envelopes": queued.count() / max(sent_posts, 1),
    }
    print(
        f"round {r + 1}: bare {bare_before:.0f}, {bare_between:.0f}, {bare_after:.0f}/s; "
        f"reports {found['report_rate']:7.1f}/s "
        f"(ratio {found['reports']:.2f}); 250 replies ratio {found['replies']:.2f}; "
        f"posts {found['post_rate']:7.1f}/s (ratio {found['posts']:.2f}; "
        f"250 replies {found['post_replies']:.2f}); "
        f"{found['acks']} acknowledgements for {found['accepted']} reports",
        flush=True,
    )
    return found


def _burst(port: int, count: int) -> tuple[int, float, int]:
    """`count` messages at once: how many were accepted, at what rate, and how
    many were stored."""
    from secdesk.mail import spool
    from secdesk.mail.models import InboundMessage

    burst = [_report(n, "b") for n in range(count)]
    stored_before = InboundMessage.objects.count()
    accepted, seconds, _ = _send(port, burst)
    # Stored in the database, once the rules have moved the spool (on SQLite) there.
    queue = spool.beside_database()
    try:
        _wait(lambda: queue is None or not queue.count())
    finally:
        if queue is not None:
            queue.close()
    return accepted, accepted / seconds, InboundMessage.objects.count() - stored_before


def _summary(rounds: list[dict], burst: int, accepted: int, rate_: float, stored: int) -> None:
    def summary(key: str) -> str:
        values = [r[key] for r in rounds]
        return f"median ratio {_median(values):.2f} (rounds {min(values):.2f}-{max(values):.2f})"

    def rate(key: str) -> str:
        return f"{_median([r[key] for r in rounds]):8.1f} messages/s"

    last = rounds[-1]
    print(f"bare aiosmtpd (accept and discard): {rate('bare')}")
    print(
        f"non-member reports, held + acknowledged: {rate('report_rate')}, "
        f"{summary('reports')}; 250 replies {summary('replies')}"
    )
    print(
        f"member posts, each queued for {last['fanned']:.0f} recipients "
        f"({last['envelopes']:.0f} envelopes): {rate('post_rate')}, {summary('posts')}; "
        f"250 replies {summary('post_replies')}"
    )
    print(
        f"burst of {burst}: {accepted} accepted at {rate_:.1f}/s, "
        f"{stored} stored, lost {accepted - stored}"
    )


def _intake(args, project, members):
    """The intake's own figures, with the daemon in this process; returns the
    case the members post into, their reply addresses, and the figures."""
    from secdesk.mail.daemon import MailServer

    port = free_port()
    server = MailServer("127.0.0.1", port, rules_process=args.rules == "process").start()
    try:
        case, addresses = _warm_up(port, project, members)
        rounds = [_round(r, port, case, members, addresses, args) for r in range(args.rounds)]
        burst = _burst(port, args.burst)
    finally:
        server.stop()
    return case, addresses, rounds, burst


def _delivery_summary(found: dict, args) -> None:
    shape = {
        "serve": "secdesk serve, SQLite",
        "mail+worker": f"secdesk mail + {args.workers} × secdesk worker, PostgreSQL",
    }
    print(
        f"delivery ({shape[found['shape']]}; the relay, {args.relay_server}, "
        f"in {args.relay_processes} processes), "
        f"each post {found['fan_out']} mails, one per recipient; "
        f"the relay alone takes {found['relay_alone']:.0f} mails/s"
    )
    for name in ("steady", "flood"):
        run = found[name]
        offered = f"{found['rate']:.0f} posts/s offered" if name == "steady" else "flood"
        median, p95 = run["median_s"], run["p95_s"]
        print(
            f"  {name} ({run['posts']} posts, {offered}): {run['posts_per_s']:.1f} posts/s "
            f"delivered ({run['mails_per_s']:.0f} mails/s, ratio "
            f"{run['mails_per_s'] / found['relay_alone']:.2f} of the relay alone); "
            f"250 to the last recipient: median {median or 0:.3f} s, p95 {p95 or 0:.3f} s; "
            f"lost {run['lost']}, duplicated {run['duplicated']}"
        )


def main():
    args = _arguments()
    data = Path(tempfile.mkdtemp(prefix="secdesk-bench-mail-"))
    _setup_django(data, args.database_url)
    project, members = _team()
    try:
        case, addresses, rounds, (accepted, rate, stored) = _intake(args, project, members)
        if rounds:
            _summary(rounds, args.burst, accepted, rate, stored)
        if args.delivery != "none":

            def posts(tag: str, count: int):
                return [
                    (*_post(n, case, members, addresses, tag=tag), f"{tag}.{n}")
                    for n in range(count)
                ]

            found = delivery.measure(args, data, posts)
            _delivery_summary({**found, "rate": args.delivery_rate}, args)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    if stored != accepted:
        raise SystemExit("bench: messages were lost")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--client"]:
        client(int(sys.argv[2]), sys.argv[3])
    else:
        main()
