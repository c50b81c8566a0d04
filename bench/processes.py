"""secdesk's processes as the benches run them: the installed `secdesk`
command, each process with its output in a log file, stopped as systemd stops
it (SIGTERM), and gone with the bench however the bench ends
(`secdesk.testing.spawn`)."""

import os
import socket
import sys
import time
from pathlib import Path

from secdesk.testing import spawn, stop

SECDESK = str(Path(sys.executable).with_name("secdesk"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def environment(data: Path, database_url: str | None = None, **settings: str) -> dict:
    """The environment of a secdesk process: this one's without its SECDESK_
    settings, with the data directory, the database and `settings`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SECDESK_", "DJANGO_")) and name != "DATABASE_URL"
    }
    env["SECDESK_DATA_DIR"] = str(data)
    env["SECDESK_LOG_LEVEL"] = "WARNING"
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(settings)
    return env


class Processes:
    """The secdesk processes of one bench; `logs` holds what each wrote."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.running = []

    def start(self, name: str, args: list[str], env: dict, ready: str, port=None, timeout=120.0):
        """Start `secdesk ARGS` and wait until its output says `ready` (and,
        given a `port`, until it answers there)."""
        log = self.logs / f"{name}.log"
        with open(log, "wb") as out:
            process = spawn([SECDESK, *args], env=env, stdout=out, stderr=out)
        self.running.append(process)
        deadline = time.monotonic() + timeout
        while ready not in log.read_text(errors="replace") or (port and not _answers(port)):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bench: secdesk {name} did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.05)
        return process

    def stop(self):
        for process in self.running:
            stop(process)
        self.running = []

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.stop()
