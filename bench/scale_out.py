"""More than one machine: two `secdesk web`, two `secdesk mail` (LMTP) and
two `secdesk worker` on one PostgreSQL, under a mixed load; nothing lost,
nothing done twice.

    uv run python bench/scale_out.py [--server postgres://postgres@127.0.0.1:5432]
        [--reports 400] [--posts 400] [--web-clients 4] [--replies 20] [--json]

Each process runs as on a host of its own: its own data directory, the same
keys, one database (a fresh `secdesk_bench_scale` on the server, dropped at
the end), and the bench's relay (relay_sink.py), a real SMTP server that
records every mail it is given. The load, all at once:

- a mail stream: non-member reports and members' DKIM-authenticated posts
  into cases, from MTAs delivering over LMTP to both mail processes in turn,
  retrying a 4xx as an MTA does;
- web actions: people who log in (password, then their authenticator app)
  through one web process and go on through the other, posting replies and
  moving reports, two of them racing for each move of each report;
- publications: cases whose embargoes end while the load runs, published by
  whichever worker gets there first.

Then, once everything is decided and delivered: every message stored once
and decided (a report opened one case; a post is in its case once), every
reply in its case once, each move of a report done once, every recipient of
every outbox mail delivered to once at the relay, each case published once
(by one worker: its files written on one host) and its announcement sent
once, and the audit trail whole. The table gives
sent / stored / lost / duplicated for each, and the rates.
"""

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import scale_out_checks as checks
import scale_out_load as load
from processes import Processes, environment, free_port
from relay_sink import Sink
from scale_out_seed import LISTS, seed, start_embargoes

DATABASE = "secdesk_bench_scale"
SITE = "http://security.bench.example"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--server", default="postgres://postgres@127.0.0.1:5432", help="the PostgreSQL server"
    )
    parser.add_argument("--reports", type=int, default=400, help="non-member reports by mail")
    parser.add_argument("--posts", type=int, default=400, help="members' posts by mail")
    parser.add_argument("--mail-clients", type=int, default=4, help="MTAs sending at once")
    parser.add_argument("--team", type=int, default=12, help="members of the project")
    parser.add_argument("--post-cases", type=int, default=4, help="cases the posts go into")
    parser.add_argument("--move-cases", type=int, default=10, help="reports the web moves")
    parser.add_argument("--publications", type=int, default=6, help="embargoes that end")
    parser.add_argument("--web-clients", type=int, default=4, help="people at the web at once")
    parser.add_argument("--replies", type=int, default=20, help="replies each person posts")
    parser.add_argument("--interval", type=float, default=2.0, help="the workers' tick, s")
    parser.add_argument("--json", action="store_true", help="the results as JSON")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and the logs, to look into"
    )
    return parser.parse_args()


def _admin(server: str):
    import psycopg

    return psycopg.connect(server.rstrip("/") + "/postgres", autocommit=True)


def _fresh_database(server: str) -> str:
    with _admin(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    return urlunsplit(urlsplit(server)._replace(path=f"/{DATABASE}"))


def _drop_database(server: str) -> None:
    with _admin(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def _setup_django(env: dict) -> None:
    """This process reads and writes the same database, as one more host."""
    for name in [n for n in os.environ if n.startswith("SECDESK_")]:
        del os.environ[name]
    os.environ.update({k: v for k, v in env.items() if k.startswith(("SECDESK_", "DATABASE"))})
    os.environ["DJANGO_SETTINGS_MODULE"] = "secdesk.settings"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _start(processes: Processes, root: Path, settings: dict, args) -> dict:
    """Two of each, each as on a host of its own; the ports to send to."""
    ports = {"mail": [free_port(), free_port()], "web": [free_port(), free_port()]}
    for n in (1, 2):
        mail = ["mail", "--lmtp", "--smtp", f"127.0.0.1:{ports['mail'][n - 1]}"]
        web = ["web", "--web", f"127.0.0.1:{ports['web'][n - 1]}", "--threads", "4"]
        worker = ["worker", "--interval", str(args.interval)]
        for name, argv, ready, port in (
            ("mail", mail, "mail (lmtp) on", None),
            ("web", web, "web on", ports["web"][n - 1]),
            ("worker", worker, "worker running", None),
        ):
            host = environment(root / f"{name}-{n}", **settings)
            processes.start(f"{name}-{n}", argv, host, ready=ready, port=port)
    return ports


def run(args, root: Path, settings: dict, sink: Sink) -> dict:
    from secdesk.outbox.models import OutgoingMessage

    found = seed(args)
    first_row = OutgoingMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with Processes(root) as processes:
        ports = _start(processes, root, settings, args)
        clients = load.prepare(args, found, ports)
        from django.utils import timezone

        # The embargoes end while the load runs: the first a few seconds in.
        start_embargoes(found, timezone.now() + timedelta(seconds=8), timedelta(seconds=2))
        began = time.monotonic()
        results = load.go(clients)
        sent_for = time.monotonic() - began
        settled = load.settle(found, first_row, sink, len(found.publish_cases))
        took = time.monotonic() - began
    with sink.lock:
        arrivals = list(sink.mails)
    figures = _figures(found, results, arrivals, first_row, sent_for, took)
    figures["settled"] = settled
    figures["publications"]["files_written_by"] = checks.published_by(root)
    return figures


def _figures(found, results, arrivals, first_row, sent_for, took) -> dict:
    rows = [
        *checks.mail_rows(results["accepted"], results["ids"]),
        *checks.web_rows(results["done"], found.move_cases),
        checks.outbox_row(arrivals, first_row),
    ]
    web_actions = len(results["done"])
    stored = sum(r["stored"] for r in rows[:2])
    return {
        "rows": rows,
        "publications": checks.publications(arrivals, found.publish_cases, LISTS),
        "audit": checks.audit_trail(),
        "quarantined": checks.quarantined(),
        "retried": results["retried"],
        "refused": results["refused"],
        "seconds": {"load": round(sent_for, 2), "until_settled": round(took, 2)},
        "rates": {
            "mail_stored_per_s": round(stored / took, 1),
            "mail_sent_per_s": round(stored / sent_for, 1),
            "web_actions_per_s": round(web_actions / sent_for, 1),
            "relay_mails_per_s": round(len(arrivals) / took, 1),
        },
    }


def _print(found: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="scale-out: 2 web, 2 mail (LMTP), 2 workers, one PostgreSQL")
    for column in ("", "sent", "stored", "lost", "duplicated"):
        table.add_column(column, justify="left" if not column else "right")
    for row in found["rows"]:
        table.add_row(row["what"], *(str(row[k]) for k in ("sent", "stored", "lost", "duplicated")))
    console = Console(width=max(Console().width, 110))
    console.print(table)
    p = found["publications"]
    by = ", ".join(f"{name} {n}" for name, n in p["files_written_by"].items())
    console.print(
        f"publications: {p['published']} of {p['expected']} published "
        f"({p['publication_rows']} publication rows; files written by {by}); "
        f"announcements expected {p['expected']}, sent {p['announcements_sent']}, "
        f"duplicated {p['announcements_duplicated']}"
    )
    audit = found["audit"]
    console.print(
        f"audit trail: {audit['records']} records, "
        + ("intact" if not audit["problems"] else f"broken: {audit['problems'][0]}")
        + f"; mail in quarantine: {found['quarantined']}"
    )
    s, r = found["seconds"], found["rates"]
    console.print(
        f"load sent in {s['load']} s, all settled in {s['until_settled']} s; "
        f"mail {r['mail_sent_per_s']}/s accepted ({r['mail_stored_per_s']}/s until decided), "
        f"web {r['web_actions_per_s']} actions/s, relay {r['relay_mails_per_s']} mails/s; "
        f"LMTP deliveries retried {found['retried']}, refused {found['refused']}"
    )


def _failed(found: dict) -> bool:
    p = found["publications"]
    return (
        not found["settled"]
        or any(row["lost"] or row["duplicated"] for row in found["rows"])
        or p["published"] != p["expected"]
        or p["announcements_sent"] != p["expected"]
        or p["announcements_duplicated"]
        or p["publication_rows"] != p["expected"]
        # Each publication's files written by one worker only: its claim was exclusive.
        or sum(p["files_written_by"].values()) != p["expected"]
        or bool(found["audit"]["problems"])
        or found["quarantined"]
        or found["refused"]
    )


def main():
    args = _arguments()
    root = Path(tempfile.mkdtemp(prefix="secdesk-scale-out-"))
    database_url = _fresh_database(args.server)
    sink = Sink(processes=2)
    settings = {
        "database_url": database_url,
        "SECDESK_SECRET_KEY": secrets.token_urlsafe(48),
        "SECDESK_AUDIT_KEY": secrets.token_urlsafe(48),
        "SECDESK_SITE_URL": SITE,
        "SECDESK_ALLOWED_HOSTS": "127.0.0.1",
        "SECDESK_SMTP_RELAY": f"127.0.0.1:{sink.port}",
    }
    try:
        _setup_django(environment(root / "bench", **settings))
        found = run(args, root, settings, sink)
    finally:
        sink.stop()
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"kept: database {DATABASE}, logs in {root}")
        else:
            _drop_database(args.server)
            shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        _print(found)
    if _failed(found):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
