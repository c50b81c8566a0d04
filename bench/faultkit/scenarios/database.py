"""PostgreSQL stopped and started again while a stream of reports arrives at
`secdesk mail`, twice: a clean stop (`pg_ctl stop -m fast`, connections
ended) and a crash-like one (`-m immediate`). The senders are told 451 while
the database is away and send again, as an MTA does. Every report must be
stored once, open one case, be held for moderation and acknowledged once.
"""

import contextlib
import time

from ..desk import wait_until
from ..postgres import free_port
from ..relay import Fault, FaultRelay
from ..report import Row
from ..senders import Stream, numbers_in

REPORTS = 600
TAG = "pgstop"


def _stop_and_start(cluster, stream: Stream, at: int, mode: str, away: float) -> None:
    wait_until(lambda: stream.progress >= at, timeout=120, what=f"{at} reports accepted")
    cluster.stop(mode)
    time.sleep(away)
    cluster.start()


def run(stage, name: str) -> Row:
    desk = stage.desk(name)
    cluster = stage.postgres()
    started = time.monotonic()
    try:
        with FaultRelay(Fault()) as relay:
            desk.extra["SECDESK_SMTP_RELAY"] = f"127.0.0.1:{relay.port}"
            port = free_port()
            desk.start("mail", "mail", "--smtp", f"127.0.0.1:{port}")
            worker = desk.start("worker", "worker", "--interval", "0.5")
            wait_until(lambda: listening(port), timeout=60, what="the mail daemon")
            stream = Stream(port, REPORTS, TAG).start()
            _stop_and_start(cluster, stream, REPORTS // 4, "fast", 3.0)
            _stop_and_start(cluster, stream, REPORTS // 2, "immediate", 3.0)
            stream.join()
            with contextlib.suppress(TimeoutError):
                wait_until(lambda: decided(desk), timeout=60, what="every report to be read")
                wait_until(lambda: _acknowledged(desk), timeout=60, what="the acknowledgements")
            worker.stop()
        return _row(desk, stream, relay, started)
    finally:
        desk.close()


def listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def decided(desk) -> bool:
    return not desk.scalar(
        "SELECT count(*) FROM mail_inboundmessage WHERE state IN ('received', 'processing')"
    )


def _acknowledged(desk) -> bool:
    return not desk.scalar(
        "SELECT count(*) FROM mail_outgoingmessage WHERE state = 'queued' "
        "AND kind = 'acknowledgement'"
    )


def intake_counts(desk, stream: Stream, tag: str) -> dict:
    """What became of the stream's reports: stored copies, cases, states, acknowledgements."""
    rows = desk.query("SELECT raw, state, case_id FROM mail_inboundmessage")
    copies, cases, states = {}, {}, {}
    for raw, state, case_id in rows:
        for n in numbers_in([raw], tag):
            copies[n] = copies.get(n, 0) + 1
            if case_id is not None:
                cases.setdefault(n, set()).add(case_id)
            states[state] = states.get(state, 0) + 1
    acks = dict(
        desk.query(
            "SELECT case_id, count(*) FROM mail_outgoingmessage "
            "WHERE kind = 'acknowledgement' GROUP BY case_id"
        )
    )
    heard = set(stream.accepted)
    return {
        "sent": stream.count,
        "stored": len(copies),
        "lost": len(heard - set(copies)),
        "duplicated": sum(c - 1 for c in copies.values())
        + sum(len(c) - 1 for c in cases.values())
        + sum(n - 1 for n in acks.values()),
        "states": states,
        "acks": sum(acks.get(c, 0) for cs in cases.values() for c in cs),
        "unanswered": stream.count - len(heard) - len(stream.refused),
    }


def intake_problems(desk, stream: Stream, counts: dict) -> list[str]:
    """What the stream's reports must not show: one not held as a report, one
    the senders never got in, mail left unsent, and the desk's trouble."""
    problems = []
    if counts["states"].get("held", 0) != counts["stored"]:
        problems.append(f"not held as reports: {counts['states']}")
    waiting = desk.mail_waiting()
    if waiting:
        problems.append(f"{waiting} mail(s) still waiting to be sent")
    if stream.refused:
        problems.append(f"{len(stream.refused)} refused for good")
    if counts["unanswered"]:
        problems.append(f"{counts['unanswered']} never accepted")
    return problems + desk.trouble()


def deferrals(stream: Stream) -> str:
    return ", ".join(f"{n}× {what}" for what, n in sorted(stream.deferred.items())) or "none"


def _row(desk, stream: Stream, relay: FaultRelay, started) -> Row:
    counts = intake_counts(desk, stream, TAG)
    problems = intake_problems(desk, stream, counts)
    held = counts["states"].get("held", 0)
    happened = (
        f"PostgreSQL stopped twice for 3 s (fast, then immediate) under {stream.clients} "
        f"senders: {deferrals(stream)}, sent again; {held} held, one case each; "
        f"{counts['acks']} acknowledged once (the policy's hourly limit), "
        f"{len(relay.delivered())} taken by the relay"
    )
    return Row(
        fault="PostgreSQL stopped and started during a mail stream",
        happened=happened,
        sent=counts["sent"],
        stored=counts["stored"],
        lost=counts["lost"],
        duplicated=counts["duplicated"] + relay.duplicates(),
        problems=problems,
        seconds=time.monotonic() - started,
    )
