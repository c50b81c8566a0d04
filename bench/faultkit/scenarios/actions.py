"""kill -9 of `secdesk web` and of `secdesk worker` in the middle of actions.

The web: a client posts replies on a case through the API, one after another;
the web process is stopped inside an action (just after its audit record is
written, just before its COMMIT, just after it) and killed there, then
started again, three times. Each reply must be all or nothing: its message,
its one audit record and its outbox rows together, or none of them; and a
reply the client was told was posted must be there.

The worker: embargoes end (the worker's clock moved past them) and their
cases are published; the worker is killed at the same points of its actions,
six times. Each embargo must have ended once, on record, and each case be
published once.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from ..desk import wait_until
from ..postgres import free_port
from ..relay import Fault, FaultRelay
from ..report import Row
from .publication import announced, finished, whole

REPLIES = 40
WEB_KILLS = ("action:audit:3", "action:commit:3", "action:committed:3")
WORKER_KILLS = (
    "action:audit:1",
    "action:commit:1",
    "action:committed:1",
    "action:audit:4",
    "action:commit:5",
    "action:committed:6",
)
EMBARGOED = 6


def run(stage, name: str) -> Row:
    desk = stage.desk(name)
    started = time.monotonic()
    try:
        [case] = desk.inside("ready_cases", count=1, first_cve=42000)
        embargoed = desk.inside("ready_cases", count=EMBARGOED, first_cve=42100, embargo_days=7)
        web = _web(desk, case)
        worker = _worker(desk, embargoed)
        return _row(desk, web, worker, started)
    finally:
        desk.close()


def _post(port: int, token: str, case: dict, n: int) -> str:
    """One reply through the API: "posted", "refused" or "cut" (no answer)."""
    try:
        answer = requests.post(
            f"http://127.0.0.1:{port}/api/v1/cases/bench/{case['number']}/messages",
            json={"body": f"action {n}: the patch, take {n}."},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
    except requests.RequestException:
        return "cut"
    return "posted" if answer.status_code == 200 else f"refused {answer.status_code}"


def _start_web(desk, pause: str = ""):
    port = free_port()
    web = desk.start("web", "web", "--web", f"127.0.0.1:{port}", "--threads", "4", pause=pause)

    def up():
        try:
            return requests.get(f"http://127.0.0.1:{port}/api/v1/me", timeout=2).status_code
        except requests.RequestException:
            return None

    wait_until(up, timeout=60, what="the web to answer")
    return web, port


def _web(desk, case) -> dict:
    outcomes = {}
    kills = list(WEB_KILLS)
    web, port = _start_web(desk, kills.pop(0))
    with ThreadPoolExecutor(max_workers=1) as client:
        for n in range(REPLIES):
            posting = client.submit(_post, port, desk.token, case, n)
            wait_until(
                lambda posting=posting, web=web: posting.done() or web.paused(),
                timeout=90,
                what="the reply",
            )
            if web.paused():
                # The reply stopped at the chosen point: kill -9 there, and the
                # next web process takes the next replies.
                web.kill9()
                web, port = _start_web(desk, kills.pop(0) if kills else "")
            outcomes[n] = posting.result()
    web.stop()
    found = desk.inside("replies_found", case_id=case["id"], prefix="action ")
    return {"outcomes": outcomes, "found": found, "kills": len(WEB_KILLS) - len(kills)}


def _worker(desk, embargoed) -> dict:
    with FaultRelay(Fault()) as relay:
        desk.extra["SECDESK_SMTP_RELAY"] = f"127.0.0.1:{relay.port}"
        desk.clock.write_text(str(8 * 86400))  # a week and a day on: every embargo has ended
        for pause in WORKER_KILLS:
            worker = desk.start("worker", "worker", "--interval", "0.2", clock=True, pause=pause)
            wait_until(worker.paused, timeout=60, what=f"the worker to stop at {pause}")
            worker.kill9()
        last = desk.start("worker", "worker", "--interval", "0.2", clock=True)
        wait_until(lambda: finished(desk, embargoed), timeout=120, what="the publications")
        wait_until(
            lambda: not desk.mail_waiting(),
            timeout=60,
            what="the mail to go out",
        )
        last.stop()
    ids = [c["id"] for c in embargoed]
    return {
        "embargoes": desk.inside("embargoes", case_ids=ids),
        "publications": desk.inside("publications", case_ids=ids),
        "relay": relay,
    }


def _web_counts(web) -> tuple[dict, list[str]]:
    counts = {"sent": REPLIES, "stored": 0, "lost": 0, "duplicated": 0, "cut": 0, "half": 0}
    problems = []
    found = web["found"]["replies"]
    for n, outcome in web["outcomes"].items():
        stored = found.get(str(n), [])
        whole = [m for m in stored if m["audit"] == 1 and m["outbox"] >= 1]
        counts["stored"] += bool(whole)
        counts["duplicated"] += max(len(stored) - 1, 0)
        counts["half"] += len(stored) - len(whole)
        counts["cut"] += outcome == "cut"
        if outcome == "posted" and not whole:
            counts["lost"] += 1
        if outcome.startswith("refused"):
            problems.append(f"reply {n} {outcome}")
    counts["half"] += len(web["found"]["orphan_records"])
    return counts, problems


def _row(desk, web, worker, started) -> Row:
    counts, problems = _web_counts(web)
    ended = sum(
        e["state"] == "exited" and e["exit_records"] == 1 for e in worker["embargoes"].values()
    )
    twice = sum(max(e["exit_records"] - 1, 0) for e in worker["embargoes"].values())
    published = worker["publications"].values()
    complete = sum(whole(p, cve_account=False) for p in published)
    extra = sum(max(n - 1, 0) for p in published for n in p["records"].values())
    extra += sum(max(p["announcements"] - 1, 0) for p in published)
    relay = worker["relay"]
    sent = sum(announced(relay, p) for p in published)
    if counts["half"]:
        problems.append(f"{counts['half']} half-done action(s)")
    if ended < EMBARGOED:
        problems.append(f"{EMBARGOED - ended} embargo end(s) missing or unrecorded")
    trouble = desk.trouble()
    problems += trouble
    happened = (
        f"web killed {web['kills']}× in a reply (after its audit record, before and after "
        f"its commit): {counts['cut']} replies cut off, {counts['half']} half-done; "
        f"worker killed {len(WORKER_KILLS)}× in its actions while {EMBARGOED} embargoes "
        f"ended and their cases were published: {ended} ended once, {complete} published "
        f"whole; {'trouble below' if trouble else 'audit trail verifies, no stack trace'}"
    )
    return Row(
        fault="kill -9 of web and worker in the middle of actions",
        happened=happened,
        sent=counts["sent"] + EMBARGOED,
        stored=counts["stored"] + complete,
        lost=counts["lost"] + (EMBARGOED - complete),
        duplicated=counts["duplicated"] + twice + extra + relay.duplicates(),
        announcements_expected=EMBARGOED,
        announcements_sent=sent,
        problems=problems,
        seconds=time.monotonic() - started,
    )
