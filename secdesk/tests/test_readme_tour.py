"""The README's five-minute tour, as a newcomer follows it: a fresh
`secdesk serve --demo`, the tour's mail through the real SMTP intake, then
the tour's commands in order, each answer checked against the README.

The commands and their answers are read from the README's own code blocks,
so the two cannot drift apart: a line `#  text` under a command is a line its
answer must hold (`…` stands for a time), and an answer that starts
`secdesk:` is a refusal (exit status 2); any other command must succeed."""

import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from secdesk.testing import Databases, spawn, stop

README = Path(__file__).resolve().parents[2] / "README.md"
TOUR_PORT = "8025"  # the port the README's mail step names


@dataclass
class Step:
    command: str
    answer: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.answer) and self.answer[0].startswith("secdesk:")


def tour_steps(text: str) -> list[Step]:
    """Every command of the tour's shell blocks, in order, with its answer."""
    tour = text.split("## A five-minute tour", 1)[1].split("\n## ", 1)[0]
    steps: list[Step] = []
    for block in re.findall(r"```sh\n(.*?)```", tour, re.DOTALL):
        pending = ""
        for raw in block.splitlines():
            line = raw.strip()
            if line.startswith("#"):
                steps[-1].answer.append(line.lstrip("#").strip())
            elif line:
                pending += line.removesuffix("\\").strip() + " "
                if not line.endswith("\\"):
                    steps.append(Step(pending.strip()))
                    pending = ""
    return steps


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def demo(tmp_path):
    """`secdesk serve --demo` on a data directory (and database) of its own."""
    databases = Databases(tmp_path)
    env = databases.env("tour")
    env.pop("db", None)
    smtp = _free_port()
    ports = ["--web", f"127.0.0.1:{_free_port()}", "--smtp", f"127.0.0.1:{smtp}"]
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = spawn(
            [_secdesk(), "serve", "--demo", *ports],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while "worker running" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield env, smtp
    finally:
        stop(process, signal.SIGINT)
        databases.drop_all()


def _secdesk() -> str:
    return str(Path(sys.executable).with_name("secdesk"))


def _run(step: Step, env: dict, smtp: int) -> subprocess.CompletedProcess:
    argv = shlex.split(step.command)
    if argv[:3] == ["uv", "run", "secdesk"]:
        argv = [_secdesk(), *argv[3:]]
    elif argv[:2] == ["python3", "-c"]:
        argv = [sys.executable, "-c", argv[2].replace(TOUR_PORT, str(smtp))]
    else:
        pytest.fail(f"the tour runs a command this test does not know: {step.command}")
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)


def _wait_for_intake(env: dict) -> None:
    """The mail daemon stores the mail and its intake files it a moment later."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        held = subprocess.run(
            [_secdesk(), "--as", "alice@vendor-a.example", "--json", "moderation", "list"],
            env=env,
            capture_output=True,
            text=True,
        )
        if held.returncode == 0 and "Overflow in the parser" in held.stdout:
            return
        time.sleep(0.5)
    pytest.fail("the tour's mail was not filed within 60 s")


def test_the_readme_tour_holds_its_commands_and_their_answers():
    steps = tour_steps(README.read_text())
    assert any(s.command.startswith("python3 -c") for s in steps), "the tour mails a report"
    assert all(s.answer for s in steps if "secdesk" in s.command), [
        s.command for s in steps if not s.answer
    ]


def test_every_number_in_the_readme_tour_is_right_on_a_fresh_demo(demo):
    env, smtp = demo
    for step in tour_steps(README.read_text()):
        done = _run(step, env, smtp)
        said = done.stdout + done.stderr
        if step.command.startswith("python3 -c"):
            assert done.returncode == 0, said
            _wait_for_intake(env)
            continue
        assert done.returncode == (2 if step.refused else 0), f"{step.command}\n{said}"
        lines = [" ".join(line.split()) for line in said.splitlines()]
        for expected in step.answer:
            wanted = ".*".join(re.escape(" ".join(part.split())) for part in expected.split("…"))
            assert any(re.search(wanted, line) for line in lines), (
                f"{step.command}: {expected!r}\n{said}"
            )
