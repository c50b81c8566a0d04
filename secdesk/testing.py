"""The CLI as tests run it.

`Cli` runs `main(argv)` in this process, on the test database, and gives the
exit status and what was written to stdout and stderr: most tests of the
command's behaviour use it, as starting the command costs a second. `Process`
runs the real `secdesk` command in a subprocess, against a database of its own
(a SQLite data directory, or a database of its own on the PostgreSQL server
when the suite runs there): for what only a process shows — start-up, the
daemons, the data directory's files. A suite builds a common starting point
once through the command and copies it for each test (`Databases.template`).
"""

import atexit
import ctypes
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from contextlib import contextmanager, redirect_stderr, redirect_stdout, suppress
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.contrib.auth.hashers import Argon2PasswordHasher


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def data(self):
        return json.loads(self.out)


class _Calls:
    def ok(self, *args, who=None, stdin=None) -> Result:
        result = self(*args, who=who, stdin=stdin)
        assert result.code == 0, f"secdesk {' '.join(args)} failed: {result.err}"
        return result

    def json(self, *args, who=None, stdin=None):
        return self.ok("--json", *args, who=who, stdin=stdin).data


class Cli(_Calls):
    """`secdesk` in this process: `main(argv)` on the database the test has.
    `env` holds variables set while a command runs (COLUMNS, for one)."""

    def __init__(self, env=None):
        self.env = dict(env or {})

    def __call__(self, *args, who=None, stdin=None) -> Result:
        from secdesk.cli.main import main

        out, err = io.StringIO(), io.StringIO()
        with _variables(self.env), _stdin(stdin), redirect_stdout(out), redirect_stderr(err):
            try:
                main([*(["--as", who] if who else []), *args])
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else int(done.code is not None)
        return Result(code, out.getvalue(), err.getvalue())


@contextmanager
def _variables(env):
    before = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _stdin(text):
    saved = sys.stdin
    sys.stdin = io.StringIO(text or "")
    try:
        yield
    finally:
        sys.stdin = saved


class Process(_Calls):
    """The real `secdesk` command in a subprocess, with the environment `env`."""

    def __init__(self, env):
        self.env = env
        self.exe = shutil.which("secdesk")
        assert self.exe, "the secdesk command is installed in the environment"

    def __call__(self, *args, who=None, stdin=None) -> Result:
        argv = [self.exe, *(["--as", who] if who else []), *args]
        done = subprocess.run(
            argv, env=self.env, capture_output=True, text=True, input=stdin, timeout=120
        )
        return Result(done.returncode, done.stdout, done.stderr)


_spawned: list[subprocess.Popen] = []


def spawn(argv, **options) -> subprocess.Popen:
    """A daemon for a test (`secdesk serve`, `secdesk mail`) that dies with the
    test session however the session ends: in a process group of its own, so
    that its children go with it, killed at the session's exit; and on Linux
    sent SIGTERM by the kernel when the process that started it dies, even by
    SIGKILL (PR_SET_PDEATHSIG). Its fixture still stops it first, gently."""
    process = subprocess.Popen(argv, start_new_session=True, preexec_fn=_die_with_parent, **options)
    _spawned.append(process)
    return process


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stop a spawned daemon gently (`sig`; SIGINT is Ctrl-C), and kill it if
    it has not exited within 20 seconds."""
    process.send_signal(sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


_PR_SET_PDEATHSIG = 1
# Loaded before any fork: the child between fork and exec only calls it.
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _die_with_parent():
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@atexit.register
def _end_spawned():
    for process in _spawned:
        # A group already gone was stopped by its fixture.
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def _base_env():
    return {k: v for k, v in os.environ.items() if not k.startswith(("SECDESK_", "DJANGO_"))}


def _postgres_url():
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


class Databases:
    """Where the CLI's databases live: SQLite files, or databases on the PostgreSQL server."""

    def __init__(self, tmp_root):
        self.tmp_root = tmp_root
        self.pg = _postgres_url()
        self.created = []

    def _admin(self):
        import psycopg

        parts = urlsplit(self.pg)
        return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)

    def env(self, name, template=None):
        env = _base_env()
        env["SECDESK_DATA_DIR"] = str(self.tmp_root / name)
        # One audit key for a template and its copies: on PostgreSQL a copy's
        # data directory is new, and the template's trail must verify in it.
        env["SECDESK_AUDIT_KEY"] = "audit key of the tests"
        if self.pg:
            db = f"secdesk_cli_{uuid.uuid4().hex[:12]}"
            with self._admin() as conn:
                suffix = f' TEMPLATE "{template["db"]}"' if template else ""
                conn.execute(f'CREATE DATABASE "{db}"{suffix}')
            self.created.append(db)
            env["DATABASE_URL"] = urlunsplit(urlsplit(self.pg)._replace(path=f"/{db}"))
            env["db"] = db
        else:
            env.pop("DATABASE_URL", None)
            if template:
                shutil.copytree(template["SECDESK_DATA_DIR"], env["SECDESK_DATA_DIR"])
        return env

    def template(self, name, set_up) -> dict:
        """A database built once by `set_up(cli)`, for tests to copy (`cli(...,
        template=...)`): the SQLite file, or a PostgreSQL template database."""
        env = self.env(name)
        set_up(Process({k: v for k, v in env.items() if k != "db"}))
        return env

    def cli(self, name, template=None) -> Process:
        """The command in a subprocess on a database of its own: new, or a copy
        of `template`'s."""
        env = self.env(name, template)
        env.pop("db", None)
        return Process(env)

    def drop_all(self):
        if self.pg and self.created:
            with self._admin() as conn:
                for db in self.created:
                    conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


CHROMIUM_MISSING = (
    "browser tests skipped: install chromium (apt-get install -y chromium) "
    "or set SECDESK_CHROMIUM to a Chromium or Chrome binary"
)


def chromium() -> str | None:
    """The browser the browser tests drive: $SECDESK_CHROMIUM, or chromium,
    chromium-browser or google-chrome on PATH."""
    if named := os.environ.get("SECDESK_CHROMIUM"):
        return shutil.which(named)
    return next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )


ROOT, ALICE, BOB = "root@example.org", "alice@redhat.example", "bob@suse.example"


def set_up_libvirt(cli: _Calls) -> None:
    """Through the command: a migrated database, root's project libvirt, and
    alice (admin) and bob (member) on its team, both bound by its policy."""
    cli.ok("migrate")
    cli.ok("admin", "create", ROOT)
    cli.ok(
        "project",
        "create",
        "libvirt",
        "--security-address",
        "security@libvirt.example",
        "--dev-list",
        "devel@libvirt.example",
        "--announce-list",
        "announce@libvirt.example",
        who=ROOT,
    )
    for email, role in ((ALICE, "admin"), (BOB, "member")):
        cli.ok("member", "add", "libvirt", email, "--role", role, who=ROOT)
        cli.ok("member", "accept-policy", "libvirt", who=email)


class CheapArgon2PasswordHasher(Argon2PasswordHasher):
    """argon2 at its cheapest, for the tests: they hash hundreds of passwords,
    and at the site's cost that was a third of the web tests' CPU. Still argon2,
    so what a test reads of a stored password is what the site stores."""

    time_cost = 1
    memory_cost = 8
    parallelism = 1
