"""secdesk under faults: what is sent, stored, lost and sent twice.

    uv run python bench/faults.py [--only NAME] [--json] [--keep]

Each fault runs the real processes (`secdesk mail`, `secdesk worker`,
`secdesk web`) as subprocesses on a database of their own, with real SMTP
clients and a real (misbehaving) SMTP relay on loopback, and counts from the
database and the relay what became of every message and action:

- postgres-restart: PostgreSQL stopped and started again during a mail stream;
- disk-full: the data directory's file system full during a mail stream and a
  publication (SQLite, the embedded default, on a small tmpfs the bench mounts);
- relay-4xx, relay-5xx, relay-slow, relay-drops: the relay refusing for now,
  refusing for good, answering after 30 s, and dropping connections;
- publication-kill: kill -9 of the worker at each step of a publication;
- action-kill: kill -9 of the web and of the worker in the middle of actions;
- clock-jump: the worker's clock jumping past an embargo's end, and back.

"stored" is what the database holds (reports, replies, publications), or for
mail through the relay, what the relay took. The processes run through
bench/faultkit/launcher.py, which runs the command line as `secdesk` does and
adds only a movable clock and a point to stop at for a kill -9.

PostgreSQL is the bench's own throwaway cluster (initdb and pg_ctl from
/usr/lib/postgresql/15/bin, on a free port); the shared server is never
touched. Every row must read 0 lost and 0 duplicated; the exit status is 1
if one does not.
"""

import argparse
import importlib
import json
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from faultkit.report import Row, table
from faultkit.stage import Stage

# name → the scenario module that runs it
FAULTS = {
    "postgres-restart": "database",
    "disk-full": "disk_full",
    "relay-4xx": "relay",
    "relay-5xx": "relay",
    "relay-slow": "relay",
    "relay-drops": "relay",
    "publication-kill": "publication",
    "action-kill": "actions",
    "clock-jump": "clock",
}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        metavar="NAME",
        action="append",
        help=f"run only this fault (or those starting with it): {', '.join(FAULTS)}",
    )
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument(
        "--keep", action="store_true", help="keep the data, the logs and the PostgreSQL cluster"
    )
    return parser.parse_args()


def _chosen(only: list[str] | None) -> list[str]:
    if not only:
        return list(FAULTS)
    chosen = [name for name in FAULTS if any(name.startswith(o) for o in only)]
    if not chosen:
        raise SystemExit(f"faults: no fault named {', '.join(only)} (see --help)")
    return chosen


def _run_one(stage: Stage, name: str) -> Row:
    started = time.monotonic()
    module = importlib.import_module(f"faultkit.scenarios.{FAULTS[name]}")
    try:
        row = module.run(stage, name)
    except Exception as err:
        traceback.print_exc(file=sys.stderr)
        row = Row(fault=name, problems=[f"the bench failed: {type(err).__name__}: {err}"])
    row.seconds = time.monotonic() - started
    return row


def main() -> int:
    args = _arguments()
    from rich.console import Console

    console = Console(stderr=args.json, width=max(Console().width, 150))
    stage = Stage(keep=args.keep)
    rows = []
    try:
        for name in _chosen(args.only):
            console.print(f"faults: {name} …", markup=False)
            row = _run_one(stage, name)
            rows.append(row)
            console.print(f"faults: {name}: {'ok' if row.ok else 'NOT OK'} ({row.seconds:.0f} s)")
    finally:
        stage.close()
    if args.json:
        print(json.dumps([row.as_dict() for row in rows], indent=2))
    else:
        console.print(table(rows))
    return 0 if all(row.ok for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
