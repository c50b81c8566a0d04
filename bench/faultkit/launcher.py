"""Runs the real `secdesk` command line, as `secdesk ARGS…` would, with two
things only the bench needs, set by environment variables that secdesk itself
never reads:

SECDESK_BENCH_CLOCK=FILE
    The process's clock runs FILE's number of seconds ahead of the machine's
    (time-machine, as the tests use it), and follows the file when the bench
    changes it: the clock jumps in a running process. Monotonic time is left
    alone, so timeouts and intervals keep their length.

SECDESK_BENCH_PAUSE=SPEC and SECDESK_BENCH_PAUSED=FILE
    The process stops at a chosen point, writes its pid to FILE and waits
    there for the bench's kill -9:
    - `publication:CASE:FIELD:work`: in the publication of case CASE, after
      the work of the step recorded by FIELD (e.g. `announced_at`), before
      its record's transaction;
    - `publication:CASE:FIELD:record`: inside that transaction, the record
      written, before the commit;
    - `action:audit:N`, `action:commit:N`, `action:committed:N`: in the N-th
      transaction that writes an audit record (an action), just after the
      record is written, just before COMMIT, or just after it.

This file is the bench's: production runs `secdesk`, which has no such hooks.
"""

import os
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def _follow_clock(path: Path) -> None:
    import time_machine

    def offset() -> float:
        try:
            return float(path.read_text().strip() or 0)
        except (OSError, ValueError):
            return 0.0

    current = offset()
    traveller = time_machine.travel(datetime.now(UTC) + timedelta(seconds=current), tick=True)
    coordinates = traveller.start()

    def follow():
        nonlocal current
        while True:
            time.sleep(0.05)
            wanted = offset()
            if wanted != current:
                coordinates.shift(timedelta(seconds=wanted - current))
                current = wanted

    threading.Thread(target=follow, name="bench-clock", daemon=True).start()


def _stop_here(point: str) -> None:
    """Say where we are, then wait to be killed."""
    marker = Path(os.environ["SECDESK_BENCH_PAUSED"])
    marker.write_text(f"{os.getpid()} {point}\n")
    while True:
        time.sleep(60)


def _pause_in_publication(case_id: int, field: str, phase: str) -> None:
    from secdesk.advisories import publication

    for n, (name, work, done) in enumerate(publication.STEPS):
        if name != field:
            continue

        def paused_work(row, work=work):
            outcome = work(row)
            if phase == "work" and row.case_id == case_id:
                _stop_here(f"publication {field} after its work")
            return outcome

        def paused_record(row, outcome, done=done):
            done(row, outcome)
            if phase == "record" and row.case_id == case_id:
                _stop_here(f"publication {field} in its record, before commit")

        publication.STEPS[n] = (name, paused_work, paused_record)


def _pause_in_action(point: str, nth: int) -> None:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.signals import connection_created

    audited = threading.local()
    seen = {"count": 0}
    lock = threading.Lock()

    def is_chosen() -> bool:
        with lock:
            seen["count"] += 1
            return seen["count"] == nth

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        auditing = sql.lstrip().upper().startswith('INSERT INTO "AUDIT_AUDITRECORD"')
        if auditing and not getattr(audited, "counted", False):
            # The transaction's first audit record: it is counted once.
            audited.counted = True
            audited.chosen = is_chosen()
            if audited.chosen and point == "audit":
                _stop_here("action: audit record written, not committed")
        return result

    def watch(sender, connection, **kwargs):
        connection.execute_wrappers.append(wrapper)

    connection_created.connect(watch, weak=False)
    commit = BaseDatabaseWrapper.commit

    def paused_commit(self):
        chosen = getattr(audited, "chosen", False)
        audited.counted = audited.chosen = False
        if chosen and point == "commit":
            _stop_here("action: before commit")
        commit(self)
        if chosen and point == "committed":
            _stop_here("action: committed, not answered")

    rollback = BaseDatabaseWrapper.rollback

    def forgetting_rollback(self):
        audited.counted = audited.chosen = False
        rollback(self)

    BaseDatabaseWrapper.commit = paused_commit
    BaseDatabaseWrapper.rollback = forgetting_rollback


def _install_pause(spec: str) -> None:
    kind, *rest = spec.split(":")
    if kind == "publication":
        case_id, field, phase = rest
        _pause_in_publication(int(case_id), field, phase)
    elif kind == "action":
        point, nth = rest
        _pause_in_action(point, int(nth))
    else:
        raise SystemExit(f"launcher: unknown pause {spec!r}")


def main() -> None:
    if clock := os.environ.get("SECDESK_BENCH_CLOCK"):
        _follow_clock(Path(clock))
    from secdesk.cli import main as cli

    if spec := os.environ.get("SECDESK_BENCH_PAUSE"):
        setup = cli._setup_django

        def setup_then_pause():
            setup()
            _install_pause(spec)

        cli._setup_django = setup_then_pause
    cli.main(sys.argv[1:])


if __name__ == "__main__":
    main()
