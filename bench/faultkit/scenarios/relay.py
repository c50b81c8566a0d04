"""The relay refusing (4xx, then 5xx), slow, and dropping connections, while
`secdesk worker` sends a case's mail through it.

The worker's retries wait 1, 2, 4 … minutes: the bench moves the worker's
clock past each retry's time (see launcher.py) rather than wait them out, and
reports how far it moved it. Each fault has a desk of its own: a case and
replies on it, their mail queued for the team and the reporter.
"""

import json
import time
from datetime import UTC, datetime, timedelta

from ..desk import wait_until
from ..inside import CAROL
from ..relay import DROP, LOSE_250, NORMAL, Fault, FaultRelay
from ..report import Row

REPLIES = 12
MINUTE = timedelta(minutes=1)


class Refusing(Fault):
    """The first commands of each kind are refused for now (4xx): two MAILs,
    five RCPTs and five DATAs, and the first message three times over; then
    the relay takes everything."""

    def __init__(self):
        self.left = {"mail": 2, "rcpt": 5, "data": 5}
        self.stubborn, self.refused = None, 0
        self.replies = {
            "mail": "452 4.3.1 Insufficient system storage",
            "rcpt": "450 4.2.0 Mailbox busy, try later",
            "data": "451 4.3.0 Local error, try later",
        }

    def __call__(self, phase, n, address="", message_id=""):
        if phase == "data":
            self.stubborn = self.stubborn or message_id
            if message_id == self.stubborn and self.refused < 3:
                self.refused += 1
                return self.replies[phase]
        if self.left.get(phase, 0) > 0:
            self.left[phase] -= 1
            return self.replies[phase]
        return NORMAL


class Rejecting(Fault):
    """One member's mailbox refused for good (550 at RCPT), and the first
    message refused whole (554 at DATA)."""

    def __init__(self):
        self.first_data = True

    def __call__(self, phase, n, address="", message_id=""):
        if phase == "rcpt" and address == CAROL:
            return "550 5.1.1 Mailbox unavailable"
        if phase == "data" and self.first_data:
            self.first_data = False
            return "554 5.7.1 Message refused by policy"
        return NORMAL


class Slow(Fault):
    """The first message's DATA is answered after 30 seconds."""

    def __init__(self, seconds=30.0):
        self.seconds, self.done = seconds, False

    def __call__(self, phase, n, address="", message_id=""):
        if phase == "data" and not self.done:
            self.done = True
            return self.seconds
        return NORMAL


class Dropping(Fault):
    """The first ten connections are dropped, in turn at the greeting, after
    MAIL, after RCPT, after the message was sent (not taken), and after it was
    taken but before its 250 is said."""

    PHASES = ("ehlo", "mail", "rcpt", "data", "lose")

    def __call__(self, phase, n, address="", message_id=""):
        if n > 10:
            return NORMAL
        chosen = self.PHASES[n % len(self.PHASES)]
        if chosen == "lose" and phase == "data":
            return LOSE_250
        return DROP if chosen == phase else NORMAL


FAULTS = {
    "relay-4xx": ("relay refuses for now (4xx)", Refusing),
    "relay-5xx": ("relay refuses for good (5xx)", Rejecting),
    "relay-slow": ("relay slow (30 s)", Slow),
    "relay-drops": ("relay drops connections", Dropping),
}


def _expected(desk) -> dict:
    """Every mail the outbox holds, by (Message-ID, recipient)."""
    expected = {}
    for message_id, to, cc in desk.query('SELECT message_id, "to", cc FROM mail_outgoingmessage'):
        to, cc = (json.loads(v) if isinstance(v, str) else v for v in (to, cc))
        for rcpt in [*to, *cc]:
            expected[(message_id, rcpt)] = True
    return expected


def _settled(desk) -> bool:
    return not desk.mail_waiting()


def _move_past_retries(desk, state: dict) -> None:
    """Move the worker's clock past the next retry, if one is waiting. A row
    being sent is leased for ten minutes (next_attempt_at moves on by that
    much): only a row whose next attempt is its backoff away is waiting."""
    rows = desk.query(
        "SELECT id, next_attempt_at, attempts FROM mail_outgoingmessage "
        "WHERE state = 'queued' AND attempts > 0"
    )
    now = datetime.now(UTC) + timedelta(seconds=state["moved"])
    waiting = []
    for pk, due, attempts in ((pk, _aware(d), a) for pk, d, a in rows):
        if due - now <= timedelta(minutes=min(2 ** (attempts - 1), 60), seconds=5):
            waiting.append(due)
            # How long the worker waits before each try again, as first seen.
            state["waits"].setdefault(pk, {}).setdefault(attempts, round((due - now) / MINUTE))
    if not waiting or min(waiting) <= now:
        return
    ahead = (min(waiting) - now).total_seconds() + 1
    state["moved"] += ahead
    desk.move_clock(state["moved"])


def _aware(value) -> datetime:
    value = datetime.fromisoformat(value) if isinstance(value, str) else value
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _failures(desk) -> dict:
    """The recipients of mail that failed for good, by (Message-ID, recipient): the error kept."""
    found = {}
    rows = desk.query(
        'SELECT message_id, "to", cc, delivered, last_error FROM mail_outgoingmessage '
        "WHERE state = 'failed'"
    )
    for message_id, to, cc, delivered, error in rows:
        to, cc, delivered = (
            json.loads(v) if isinstance(v, str) else v for v in (to, cc, delivered)
        )
        for rcpt in [*to, *cc]:
            if rcpt not in delivered:
                found[(message_id, rcpt)] = error
    return found


def run(stage, name: str) -> Row:
    title, fault_class = FAULTS[name]
    desk = stage.desk(name)
    started = time.monotonic()
    try:
        [case] = desk.inside("ready_cases", count=1, first_cve=40000 + len(name))
        desk.inside("replies", case_id=case["id"], count=REPLIES, tag=name)
        expected = _expected(desk)
        with FaultRelay(fault_class()) as relay:
            desk.extra["SECDESK_SMTP_RELAY"] = f"127.0.0.1:{relay.port}"
            worker = desk.start("worker", "worker", "--interval", "0.2", clock=True)
            state = {"moved": 0.0, "waits": {}}

            def done():
                _move_past_retries(desk, state)
                return _settled(desk)

            wait_until(done, timeout=240, what="the outbox to settle", every=0.5)
            worker.stop()
        return _row(desk, name, title, relay, expected, state, case, started)
    finally:
        desk.close()


def _row(desk, name, title, relay, expected, state, case, started) -> Row:
    delivered = relay.delivered() & set(expected)
    failures = _failures(desk)
    lost = [k for k in expected if k not in delivered and k not in failures]
    parts = [f"{len(expected)} mails from {REPLIES} replies and the case's notices"]
    if relay.refusals:
        parts.append(", ".join(f"{n}× {what}" for what, n in sorted(relay.refusals.items())))
    if relay.slow:
        parts.append(f"answers {', '.join(f'{s:.0f} s' for s in relay.slow)} late")
    if state["waits"]:
        waits = max(state["waits"].values(), key=len)
        parts.append(
            f"retried with backoff: one mail tried {len(waits) + 1} times, "
            f"{', '.join(f'{waits[a]:g}' for a in sorted(waits))} min apart "
            f"(the worker's clock moved {state['moved'] / 60:.0f} min in all)"
        )
    if relay.redelivered():
        parts.append(
            f"{relay.redelivered()} sent again after a 250 lost with the connection "
            "(SMTP's at-least-once)"
        )
    problems = []
    if failures:
        shown = _shown_on_case(desk, case, failures)
        parts.append(
            f"{len(failures)} refused for good, each kept with the relay's answer "
            f"({next(iter(failures.values()))[:60]}…)"
            + (", listed for the case (`secdesk outbox list --case`)" if shown else "")
        )
        if not shown:
            problems.append("the refusal is not shown on the case")
    problems += desk.trouble()
    return Row(
        fault=title,
        happened="; ".join(parts),
        sent=len(expected),
        stored=len(delivered),
        lost=len(lost),
        duplicated=relay.duplicates(),
        problems=problems,
        seconds=time.monotonic() - started,
    )


def _shown_on_case(desk, case, failures) -> bool:
    """The case's outbox, as a moderator lists it, names the relay's refusal."""
    from ..inside import ALICE

    listed = desk.cli("outbox", "list", "--case", f"bench#{case['number']}", who=ALICE)
    return all(
        any(row["state"] == "failed" and error[:40] in row["last_error"] for row in listed)
        for error in set(failures.values())
    )
