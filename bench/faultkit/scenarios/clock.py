"""The clock jumping past an embargo's end, and back, under two workers.

Two `secdesk worker` processes share the database, their clocks moved
together by the bench (launcher.py; secdesk itself has no clock setting).
The clock jumps to an hour before the embargoes end (the 24-hour reminder is
due, the 72-hour one was skipped), then past their end, then back to the
machine's time (an NTP correction), then past the end again. Each embargo
must end once, on record, with one reminder before it, and each case be
published once with one announcement.
"""

import time

from ..desk import wait_until
from ..relay import Fault, FaultRelay
from ..report import Row
from .publication import announced, finished, whole

CASES = 3
DAY = 86400.0


def _steady(seconds: float = 2.0) -> None:
    """Let both workers tick a few times at the clock's new time."""
    time.sleep(seconds)


def run(stage, name: str) -> Row:
    desk = stage.desk(name)
    started = time.monotonic()
    try:
        cases = desk.inside("ready_cases", count=CASES, first_cve=43000, embargo_days=7)
        ids = [c["id"] for c in cases]
        with FaultRelay(Fault()) as relay:
            desk.extra["SECDESK_SMTP_RELAY"] = f"127.0.0.1:{relay.port}"
            workers = [
                desk.start("worker", "worker", "--interval", "0.2", clock=True) for _ in range(2)
            ]
            _steady()
            early = desk.inside("embargoes", case_ids=ids)
            jumps = [7 * DAY - 3600, 7 * DAY + 60, 0.0, 7 * DAY + 120]
            for offset in jumps:
                desk.move_clock(offset)
                _steady()
            wait_until(lambda: finished(desk, cases), timeout=120, what="the publications")
            wait_until(
                lambda: not desk.mail_waiting(),
                timeout=60,
                what="the mail to go out",
            )
            for worker in workers:
                worker.stop()
        return _row(desk, ids, early, relay, started)
    finally:
        desk.close()


def _row(desk, ids, early, relay, started) -> Row:
    embargoes = desk.inside("embargoes", case_ids=ids)
    reminders = desk.inside("reminders", case_ids=ids)
    published = desk.inside("publications", case_ids=ids)
    problems = []
    if any(e["state"] == "exited" for e in early.values()):
        problems.append("an embargo ended before its time")
    ended = sum(e["state"] == "exited" and e["exit_records"] == 1 for e in embargoes.values())
    extra = sum(max(e["exit_records"] - 1, 0) for e in embargoes.values())
    reminded = sum(r["records"] == 1 and len(r["notices"]) == 1 for r in reminders.values())
    extra += sum(max(r["records"] - 1, 0) for r in reminders.values())
    complete = sum(whole(p, cve_account=False) for p in published.values())
    extra += sum(max(n - 1, 0) for p in published.values() for n in p["records"].values())
    extra += sum(max(p["announcements"] - 1, 0) for p in published.values())
    sent = sum(announced(relay, p) for p in published.values())
    if reminded < len(ids):
        problems.append(f"{len(ids) - reminded} case(s) without exactly one reminder")
    problems += desk.trouble()
    happened = (
        "two workers; clock moved to 1 h before the end, past it, back 7 days, past it again: "
        f"{ended} embargoes ended once each, on record; {reminded} reminded once (24 h before); "
        f"{complete} published whole"
    )
    return Row(
        fault="clock jumps past an embargo's end (and back)",
        happened=happened,
        sent=len(ids),
        stored=ended,
        lost=len(ids) - min(ended, complete),
        duplicated=extra + relay.duplicates(),
        announcements_expected=len(ids),
        announcements_sent=sent,
        problems=problems,
        seconds=time.monotonic() - started,
    )
