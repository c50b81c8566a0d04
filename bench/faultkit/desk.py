"""One secdesk installation for one fault: a data directory, a database, and
the real processes (`secdesk mail`, `secdesk worker`, `secdesk web`) run as
subprocesses through the bench's launcher (see launcher.py)."""

import contextlib
import ctypes
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent.parent
SECDESK = Path(sys.executable).parent / "secdesk"
LAUNCHER = BENCH / "launcher.py"
INSIDE = BENCH / "inside.py"
SITE = "https://security.bench.example"

_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: no daemon outlives the bench


def wait_until(check, *, timeout: float = 60.0, what: str = "a condition", every: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


class Proc:
    """A running secdesk process; its output goes to a log file."""

    def __init__(self, desk: "Desk", name: str, argv: list[str], env: dict):
        self.name = name
        self.log = desk.logs / f"{name}-{len(desk.procs)}.log"
        self.marker = desk.root / f"{name}-{len(desk.procs)}.paused"
        env = {**env, "SECDESK_BENCH_PAUSED": str(self.marker)}
        with open(self.log, "wb") as log:
            self.popen = subprocess.Popen(
                [sys.executable, str(LAUNCHER), *argv],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def paused(self) -> str:
        return self.marker.read_text().strip() if self.marker.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill9(self) -> None:
        """kill -9 of the process and of its children (the mail rules process)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def stop(self) -> None:
        if not self.alive():
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill9()


class Desk:
    def __init__(
        self, name: str, database_url: str | None = None, root: Path | None = None, keep=False
    ):
        self.name = name
        self.keep = keep
        self.root = root or Path(tempfile.mkdtemp(prefix=f"secdesk-bench-{name}-"))
        self.data = self.root / "data"
        self.logs = Path(tempfile.mkdtemp(prefix=f"secdesk-bench-{name}-logs-"))
        self.database_url = database_url
        self.procs: list[Proc] = []
        self.clock = self.root / "clock"
        self.clock.write_text("0")
        self.extra: dict[str, str] = {}

    def env(self, **more) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SECDESK_", "DJANGO_"))}
        env.update(
            SECDESK_DATA_DIR=str(self.data),
            SECDESK_SITE_URL=SITE,
            SECDESK_SECRET_KEY="the bench's secret key, the same in every process" * 2,
            SECDESK_AUDIT_KEY="the bench's audit key",
            SECDESK_LOG_LEVEL="WARNING",
            SECDESK_TRUSTED_PROXIES="127.0.0.1",
            PYTHONPATH=str(REPO),
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(self.extra)
        env.update(more)
        return env

    # -- the command line and the bench's own Django-side helpers

    def cli(self, *args: str, who: str | None = None):
        argv = [str(SECDESK), "--json", *(["--as", who] if who else []), *args]
        done = subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"secdesk {' '.join(args)}: {done.stderr.strip()}")
        return json.loads(done.stdout) if done.stdout.strip() else None

    def audit_problems(self) -> list[str]:
        """What `secdesk audit verify` finds wrong with the audit trail."""
        argv = [str(SECDESK), "--json", "audit", "verify"]
        done = subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=300)
        if not done.stdout.strip():
            return [f"audit verify failed: {done.stderr.strip()}"]
        return json.loads(done.stdout)["problems"]

    def inside(self, function: str, **kwargs):
        """Run `function` of inside.py with Django set up on this desk."""
        done = subprocess.run(
            [sys.executable, str(INSIDE), function, json.dumps(kwargs)],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=600,
            cwd=REPO,
        )
        if done.returncode != 0:
            raise RuntimeError(f"inside {function}: {done.stderr.strip()[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    # -- processes

    def start(self, name: str, *args: str, clock: bool = False, pause: str = "", **env) -> Proc:
        more = dict(env)
        if clock:
            more["SECDESK_BENCH_CLOCK"] = str(self.clock)
        if pause:
            more["SECDESK_BENCH_PAUSE"] = pause
        proc = Proc(self, name, list(args), self.env(**more))
        self.procs.append(proc)
        return proc

    def move_clock(self, seconds: float) -> None:
        """Every process started with `clock=True` jumps to the machine's time plus `seconds`."""
        self.clock.write_text(repr(float(seconds)))
        time.sleep(0.3)  # the launcher looks every 50 ms

    def trouble(self) -> list[str]:
        """What no fault may leave: a stack trace in any process's output, a
        broken audit trail."""
        found = [f"audit trail: {problem}" for problem in self.audit_problems()]
        if traces := self.tracebacks():
            found.append(f"{traces} stack trace(s) in the logs")
        return found

    def tracebacks(self) -> int:
        """Stack traces written by any process: each is a bug."""
        return sum(p.log.read_text(errors="replace").count("Traceback") for p in self.procs)

    # -- reading the database from outside

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.database_url:
            with psycopg.connect(self.database_url, connect_timeout=5) as conn:
                return conn.execute(sql.replace("?", "%s"), params).fetchall()
        path = self.data / "secdesk.sqlite3"
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: tuple = ()):
        return self.query(sql, params)[0][0]

    def mail_waiting(self) -> int:
        """Outgoing mail not sent yet, nor failed for good."""
        return self.scalar("SELECT count(*) FROM mail_outgoingmessage WHERE state = 'queued'")

    def close(self) -> None:
        for proc in self.procs:
            if proc.alive():
                proc.kill9()
        if self.keep:
            print(f"faults: {self.name}: data in {self.root}, logs in {self.logs}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)
            shutil.rmtree(self.logs, ignore_errors=True)
