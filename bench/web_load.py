"""The web and the API at 10,000 cases, served by `secdesk web`, on SQLite and
on PostgreSQL.

    uv run python bench/web_load.py [--scale 1] [--databases sqlite,postgres]
        [--each 200] [--connections 16] [--json]

The data set (bench/web_load_data.py) is built through secdesk's actions:
at scale 1, 10,000 cases in 3 projects, 100 members, 200,000 messages. It is
built once on SQLite and kept in a cache directory by scale; PostgreSQL gets
a copy of it (bench/web_load_copy.py) in a database the bench creates and
drops (`secdesk_bench_web` on 127.0.0.1:5432).

Each database is served by the real `secdesk web` (waitress, 8 threads) in a
process of its own. A project lead, admin of all three projects, asks under
16 concurrent connections for: the dashboard, the busiest case page (200
messages), moderation, the advisories index, an advisory, the Atom feed,
the API's case list, and a static file of the same server. Every request of
every kind is mixed into the one load, as a site serves them: the static
file's latency is the server's own under that load, and each page's p95 is
set against it. Target: every p95 at most 3× the static file's.

(Each page asked alone, `--alone`, measures something else: how much more
work a page is than a static file, which for any Django page is about ten
times, whatever the data.)
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict
from pathlib import Path

from web_load_client import Endpoint, load, percentile

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Bumped when the data set's recipe changes: a cached build of an older one is not used.
RECIPE = 1
SITE = "https://security.bench.example"
TARGET = 3.0
PG_NAME = "secdesk_bench_web"


def _arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1: 10,000 cases (default)")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--postgres",
        default="postgres://postgres@127.0.0.1:5432",
        help="the PostgreSQL server, where the bench creates and drops " + PG_NAME,
    )
    parser.add_argument("--each", type=int, default=200, help="requests per page (default 200)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--alone", action="store_true", help="also ask for each page alone")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "secdesk-bench",
        help="where built data sets are kept",
    )
    parser.add_argument("--rebuild", action="store_true", help="build the data set again")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    # The bench's own children.
    parser.add_argument("--child", choices=("build", "prepare"), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--copy-from", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _environment(data: Path, database_url: str | None) -> dict:
    env = {
        **os.environ,
        "SECDESK_DATA_DIR": str(data),
        "SECDESK_SITE_URL": SITE,
        "SECDESK_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "secdesk.settings",
    }
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _child(args, what: str, data: Path, database_url=None, copy_from=None) -> dict:
    """Run a step that needs Django in a process of its own (Django is set up
    once per process, for one database); it prints its JSON result."""
    command = [sys.executable, __file__, "--child", what, "--data", str(data)]
    command += ["--scale", str(args.scale)]
    if copy_from is not None:
        command += ["--copy-from", str(copy_from)]
    out = subprocess.run(
        command,
        env=_environment(data, database_url),
        stdout=subprocess.PIPE,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def child(args) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if args.child == "build":
        from web_load_data import build

        print(json.dumps(asdict(build(args.scale))))
        return
    if args.copy_from:
        from web_load_copy import copy_from_sqlite

        copy_from_sqlite(args.copy_from)
    print(json.dumps(_login()))


def _login() -> dict:
    """The lead's session past the second factor, and an API token of theirs."""
    from django.conf import settings
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from web_load_data import LEAD

    from secdesk.accounts.factors import do_confirm_totp
    from secdesk.teams.actions import person_by_email
    from secdesk.teams.tokens import do_create_api_token

    lead = person_by_email(LEAD)
    device = TOTPDevice.objects.filter(user=lead.user).first()
    if device is None:
        device = TOTPDevice.objects.create(user=lead.user, name="phone", confirmed=False)
        do_confirm_totp(device, acting=lead)
    client = Client()
    client.force_login(lead.user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    _, token = do_create_api_token(name="bench", acting=lead)
    return {"cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}", "token": token}


def _built(args) -> tuple[Path, dict]:
    """The data set at this scale, from the cache or built now."""
    kept = args.cache / f"web-load-{RECIPE}-scale-{args.scale:g}"
    if args.rebuild and kept.exists():
        shutil.rmtree(kept)
    if not (kept / "built.json").exists():
        shutil.rmtree(kept, ignore_errors=True)
        (kept / "data").mkdir(parents=True)
        start = time.monotonic()
        built = _child(args, "build", kept / "data")
        built["build_seconds"] = round(time.monotonic() - start)
        (kept / "built.json").write_text(json.dumps(built))
    return kept / "data", json.loads((kept / "built.json").read_text())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(data: Path, database_url: str | None, log) -> tuple[subprocess.Popen, int]:
    """`secdesk web` on a free port; what it says goes to `log` (waitress
    warns of every queued request under this load)."""
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "secdesk"), "web", "--web", f"127.0.0.1:{port}"],
        env=_environment(data, database_url),
        stdout=log,
        stderr=log,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/security/", timeout=5).read()
            return server, port
        except OSError:
            if server.poll() is not None:
                raise SystemExit("bench: secdesk web did not start") from None
            time.sleep(0.2)
    server.kill()
    raise SystemExit("bench: secdesk web did not answer within 2 minutes")


def _endpoints(built: dict, login: dict) -> list[Endpoint]:
    member = {"Cookie": login["cookie"]}
    busy = built["busy"].replace("#", "/")
    return [
        Endpoint("static file", "/static/secdesk/secdesk.css"),
        Endpoint("dashboard", "/", member),
        Endpoint(f"case {built['busy']}", f"/cases/{busy}/", member),
        Endpoint("moderation", "/moderation/", member),
        Endpoint("advisories index", "/advisories/"),
        Endpoint(f"advisory {built['advisory']}", f"/advisories/{built['advisory']}/"),
        Endpoint("Atom feed", "/advisories/feed.atom"),
        Endpoint("API case list", "/api/v1/cases", {"Authorization": f"Bearer {login['token']}"}),
    ]


def _figures(endpoints: list[Endpoint]) -> list[dict]:
    static = percentile(endpoints[0].seconds, 95)
    rows = []
    for endpoint in endpoints:
        ms = [s * 1000 for s in endpoint.seconds]
        p95 = percentile(ms, 95)
        rows.append(
            {
                "page": endpoint.name,
                "path": endpoint.path,
                "requests": len(ms),
                "statuses": endpoint.statuses,
                "kb": round(sum(endpoint.sizes) / len(endpoint.sizes) / 1024, 1),
                "p50_ms": round(percentile(ms, 50), 1),
                "p95_ms": round(p95, 1),
                "p99_ms": round(percentile(ms, 99), 1),
                "ratio": round(p95 / (static * 1000), 2),
            }
        )
    return rows


def _measure(args, port: int, built: dict, login: dict) -> dict:
    # Warm: each thread's connection to the database open, the templates compiled.
    load(port, _endpoints(built, login), each=16, connections=args.connections)
    endpoints = _endpoints(built, login)
    seconds = load(port, endpoints, each=args.each, connections=args.connections, seed=1)
    asked = sum(len(endpoint.seconds) for endpoint in endpoints)
    found = {
        "mixed": _figures(endpoints),
        "seconds": round(seconds, 1),
        "requests_per_second": round(asked / seconds, 1),
    }
    if args.alone:
        alone = []
        for endpoint in _endpoints(built, login):
            load(port, [endpoint], each=args.each, connections=args.connections)
            alone.append(endpoint)
        found["alone"] = _figures(alone)
    for row in found["mixed"]:
        if set(row["statuses"]) != {200}:
            raise SystemExit(f"bench: {row['page']} answered {row['statuses']}")
    return found


def _run_on(args, database: str, data: Path, built: dict) -> dict:
    """Serve the data set from `database` and measure it."""
    with tempfile.TemporaryDirectory(prefix="secdesk-bench-web-") as scratch:
        run = Path(scratch) / "data"
        database_url = copy_from = None
        if database == "sqlite":
            # A copy: the server writes (sessions, views of embargoed cases).
            shutil.copytree(data, run)
        else:
            shutil.copytree(data, run, ignore=shutil.ignore_patterns("secdesk.sqlite3*"))
            database_url, copy_from = f"{args.postgres}/{PG_NAME}", data / "secdesk.sqlite3"
            _postgres(args, f"DROP DATABASE IF EXISTS {PG_NAME}", f"CREATE DATABASE {PG_NAME}")
        try:
            login = _child(args, "prepare", run, database_url, copy_from)
            with open(Path(scratch) / "server.log", "w") as log:
                server, port = _serve(run, database_url, log)
                try:
                    return _measure(args, port, built, login)
                finally:
                    server.terminate()
                    server.wait(timeout=30)
        finally:
            if database_url:
                _postgres(args, f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")


def _postgres(args, *statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def _print(results: dict, built: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"data set: {built['cases']:,} cases, {built['messages']:,} messages, "
        f"100 members, 3 projects; {built['fates']}"
    )
    for database, found in results.items():
        for kind in ("mixed", "alone"):
            if kind not in found:
                continue
            title = f"{database}, {kind}: p95 against the static file's"
            if kind == "mixed":
                title += f" ({found['requests_per_second']} requests/s)"
            table = Table(title=title)
            for column in ("page", "KB", "p50 ms", "p95 ms", "p99 ms", "p95 ratio", ""):
                table.add_column(column, justify="left" if column == "page" else "right")
            for row in found[kind]:
                met = "" if kind == "alone" else "ok" if row["ratio"] <= TARGET else "OVER"
                table.add_row(
                    row["page"],
                    f"{row['kb']:,}",
                    f"{row['p50_ms']}",
                    f"{row['p95_ms']}",
                    f"{row['p99_ms']}",
                    f"{row['ratio']:.2f}",
                    met,
                )
            console.print(table)


def main() -> None:
    args = _arguments()
    if args.child:
        child(args)
        return
    data, built = _built(args)
    results = {}
    for database in args.databases.split(","):
        results[database] = _run_on(args, database, data, built)
    met = all(row["ratio"] <= TARGET for found in results.values() for row in found["mixed"])
    if args.json:
        print(json.dumps({"built": built, "results": results, "target_met": met}, indent=2))
    else:
        _print(results, built)
        print("target met: every p95 ≤ 3× the static file's" if met else "target NOT met")
    if not met:
        sys.exit(1)


if __name__ == "__main__":
    main()
