"""kill -9 of the worker at each step of a publication (advisories/steps.py,
advisories/publication.py): after each step's work, and inside its record's
transaction before the commit. One case for each of the ten points, their
publications decided by the team and left to the worker, the project's CVE
records going to the tests' stand-in for CVE Services on loopback.

One worker per point: it resumes what the killed one left, runs on to the
next case's chosen point and stops there, and is killed in turn; a last
worker finishes. Each case must end with one announcement (one outbox row,
taken once by the relay for each list), one record of each step, its files
and its CVE record.
"""

import contextlib
import json
import subprocess
import sys
import time

from ..desk import INSIDE, REPO, wait_until
from ..relay import Fault, FaultRelay
from ..report import Row

STEPS = ("rendered_at", "announced_at", "files_written_at", "cve_published_at", "finished_at")
POINTS = [(step, phase) for step in STEPS for phase in ("work", "record")]
FIRST_CVE = 41000


class CveServices:
    """The tests' stand-in for CVE Services, in a process of its own."""

    def __init__(self, desk, ids: list[str]):
        self.process = subprocess.Popen(
            [sys.executable, str(INSIDE), "serve_cve", json.dumps({"ids": ids})],
            env=desk.env(),
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = json.loads(self.process.stdout.readline())["url"]

    def finish(self) -> dict:
        said, _ = self.process.communicate("", timeout=60)
        return json.loads(said.strip().splitlines()[-1])

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def run(stage, name: str) -> Row:
    desk = stage.desk(name)
    started = time.monotonic()
    try:
        cases = desk.inside("ready_cases", count=len(POINTS), first_cve=FIRST_CVE, queue=True)
        cve = CveServices(desk, [c["cve"] for c in cases])
        desk.inside("cve_account", url=cve.url)
        with FaultRelay(Fault()) as relay, contextlib.closing(cve):
            desk.extra["SECDESK_SMTP_RELAY"] = f"127.0.0.1:{relay.port}"
            killed = _kill_at_each_point(desk, cases)
            last = desk.start("worker", "worker", "--interval", "0.2")
            wait_until(
                lambda: finished(desk, cases), timeout=120, what="every publication to finish"
            )
            wait_until(lambda: _all_sent(desk), timeout=60, what="the announcements to go out")
            last.stop()
            records = cve.finish()
        return _row(desk, cases, killed, relay, records, started)
    finally:
        desk.close()


def _kill_at_each_point(desk, cases) -> list[str]:
    killed = []
    for case, (step, phase) in zip(cases, POINTS, strict=True):
        worker = desk.start(
            "worker",
            "worker",
            "--interval",
            "0.2",
            pause=f"publication:{case['id']}:{step}:{phase}",
        )
        wait_until(worker.paused, timeout=120, what=f"the worker to reach {step} {phase}")
        worker.kill9()
        killed.append(worker.marker.read_text().split(" ", 1)[1].strip())
    return killed


def finished(desk, cases) -> bool:
    ids = tuple(c["id"] for c in cases)
    marks = ", ".join("?" * len(ids))
    done = desk.scalar(
        f"SELECT count(*) FROM advisories_publication WHERE finished_at IS NOT NULL "  # noqa: S608
        f"AND case_id IN ({marks})",
        ids,
    )
    return done == len(ids)


def _all_sent(desk) -> bool:
    return not desk.scalar(
        "SELECT count(*) FROM mail_outgoingmessage WHERE state = 'queued' "
        "AND kind IN ('announcement', 'announcement-reporter')"
    )


def whole(found: dict, *, cve_account: bool) -> bool:
    """A publication finished with its files and one record of each step (of
    the CVE record's only with an account at CVE Services)."""
    records = dict(found["records"])
    if not cve_account:
        records.pop("CVE_RECORD_PUBLISHED")
    return found["finished"] and found["files"] and all(n == 1 for n in records.values())


LISTS = ("devel@lists.bench.example", "announce@lists.bench.example")


def announced(relay, found: dict) -> bool:
    """Whether the relay took the case's announcement for both lists."""
    return all(any((m, a) in relay.delivered() for m in found["message_ids"]) for a in LISTS)


def _row(desk, cases, killed, relay, cve, started) -> Row:
    found = desk.inside("publications", case_ids=[c["id"] for c in cases])
    problems, complete, extra = [], 0, 0
    sent = 0
    for case in cases:
        got = found[str(case["id"])]
        short = [name for name, n in got["records"].items() if n < 1]
        twice = [name for name, n in got["records"].items() if n > 1]
        if twice:
            problems.append(f"case {case['number']}: {twice} recorded more than once")
        extra += sum(n - 1 for n in got["records"].values() if n > 1)
        extra += max(got["announcements"] - 1, 0) + max(got["reporter_copies"] - 1, 0)
        whole = got["finished"] and got["files"] and not short and case["cve"] in cve["records"]
        complete += whole
        if not whole:
            problems.append(f"case {case['number']} incomplete: {short or 'files/CVE record'}")
        sent += announced(relay, got)
    updated = sum(cve["updated"].values())
    happened = (
        f"worker killed {len(killed)}× (after the work and inside the record of each step: "
        f"render, announce, files, CVE record, finish), restarted each time; "
        f"{len(cve['records'])} CVE records at CVE Services"
        + (
            f" ({updated} sent again by a resumed step: the service said it exists, "
            "and it was updated)"
            if updated
            else ""
        )
    )
    if relay.redelivered() or relay.duplicates():
        extra += relay.duplicates()
    problems += desk.trouble()
    return Row(
        fault="kill -9 of the worker at each publication step",
        happened=happened,
        sent=len(cases),
        stored=complete,
        lost=len(cases) - complete,
        duplicated=extra,
        announcements_expected=len(cases),
        announcements_sent=sent,
        problems=problems,
        seconds=time.monotonic() - started,
    )
