"""The processes of a bench: secdesk's, and the clients that load it.

secdesk's are the installed `secdesk` command, each process with its output
in a log file, stopped as systemd stops it (SIGTERM), and gone with the bench
however the bench ends (`secdesk.testing.spawn`). A client is a Python
script in a process of its own, as the MTAs and people that send to a server
are: clients sharing the bench's interpreter lock would measure their
contention with it."""

import json
import os
import socket
import subprocess
import sys
import tempfile
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


class Clients:
    """Client processes, each `python SCRIPT *ARGS FILE`, its work as JSON in
    FILE (`works`, one each). Each prints "ready" once it is (connected, logged
    in), starts on the line `go` sends it, and answers with one line."""

    def __init__(self, script: str, args: list[str], works: list):
        self.folder = tempfile.TemporaryDirectory()
        self.running = []
        for n, work in enumerate(works):
            path = Path(self.folder.name) / f"{n}.json"
            path.write_text(json.dumps(work))
            self.running.append(
                subprocess.Popen(
                    [sys.executable, script, *args, str(path)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        for client in self.running:
            if client.stdout.readline().strip() != "ready":
                raise SystemExit(f"bench: a client of {Path(script).name} could not start")

    def go(self, line: str = "go") -> None:
        for client in self.running:
            client.stdin.write(f"{line}\n")
            client.stdin.flush()

    def answers(self) -> list[str]:
        """Each client's answer, as soon as each has given it."""
        return [client.stdout.readline() for client in self.running]

    def end(self) -> None:
        """Wait for the clients to exit."""
        for client in self.running:
            client.wait()
        self.folder.cleanup()
