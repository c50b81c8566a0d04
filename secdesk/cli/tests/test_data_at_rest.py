"""Data at rest: after `secdesk serve --demo` on a fresh data directory, started
with a lax umask, has taken mail in and sent some, every folder in the data
directory is 0700 and every file 0600; its log names no capability. What an
older version left readable is made private at the next start, and `secdesk
check` reports what is not."""

import json
import re
import smtplib
import socket
import stat
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import pytest

from secdesk.testing import Process, spawn, stop

SENDER = "finder@research.example"


@pytest.fixture
def cli(process_cli):
    """What only a process shows: the real command in a subprocess."""
    return process_cli


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def modes(data: Path) -> dict[str, str]:
    """`ls -lR` of the data directory, as path → kind and mode. The server is
    running: a temporary file may be renamed between the listing and its look."""
    found = {}
    for path in [data, *data.rglob("*")]:
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            continue
        kind = "d" if stat.S_ISDIR(mode) else "f"
        found[str(path.relative_to(data))] = f"{kind}{stat.S_IMODE(mode):04o}"
    return found


def _wait_for(condition, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"waited {timeout} s for {what}")


@pytest.fixture
def served(cli, tmp_path):
    web, smtp = _free_port(), _free_port()
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = spawn(
            [
                cli.exe,
                "serve",
                "--demo",
                "--web",
                f"127.0.0.1:{web}",
                "--smtp",
                f"127.0.0.1:{smtp}",
            ],
            env={**cli.env, "PYTHONUNBUFFERED": "1"},
            stdout=stdout,
            stderr=stderr,
            umask=0o022,
        )
    try:
        _wait_for(
            lambda: "worker running" in out.read_text() or process.poll() is not None,
            "secdesk serve to start",
        )
        assert process.poll() is None, err.read_text()
        yield web, smtp, out, err
    finally:
        stop(process)


def test_after_serve_demo_took_mail_every_folder_is_0700_and_every_file_0600(cli, served):
    _, smtp, out, err = served
    data = Path(cli.env["SECDESK_DATA_DIR"])
    message = EmailMessage()
    message["From"], message["To"] = SENDER, "security@example.org"
    message["Subject"] = "Crash in the demo"
    message.set_content("Steps to reproduce: ...")
    with smtplib.SMTP("127.0.0.1", smtp) as client:
        client.send_message(message)

    def acknowledged():
        return any(SENDER in eml.read_text() for eml in (data / "outbox").glob("*.eml"))

    _wait_for(acknowledged, "the acknowledgement to be written to the outbox")
    # The first administrator's link, posted without a form: Django logs the refusal.
    link = re.search(r"^(http://\S+/login/once/(\S+)/)$", out.read_text(), re.MULTILINE)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(link.group(1), data=b"x=1"))
    assert refused.value.code == 403

    found = modes(data)
    assert any(path.endswith(".eml") for path in found)
    if "DATABASE_URL" not in cli.env:
        assert {"secdesk.sqlite3-wal", "secdesk.sqlite3-spool"} <= set(found)
    assert {path: mode for path, mode in found.items() if mode not in ("d0700", "f0600")} == {}
    _wait_for(lambda: "/login/once/<redacted>/" in err.read_text(), "the refusal to be logged")
    assert link.group(2) not in err.read_text()


def lax(cli: Process) -> list[dict]:
    result = cli("--json", "check")
    return [p for p in json.loads(result.out) if p["id"] == "secdesk.E001"], result.code


def test_what_others_may_read_is_reported_and_made_private_at_the_next_start(cli):
    cli.ok("migrate")
    data = Path(cli.env["SECDESK_DATA_DIR"])
    # As an older secdesk left them.
    (data / "outbox").mkdir(mode=0o755)
    (data / "outbox" / "00000001-acknowledgement.eml").write_text("Subject: x\n")
    for path in [data, *data.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)

    [problem], code = lax(cli)
    assert code == 1 and f"{data} is 0755" in problem["message"]

    cli.ok("worker", "--once")
    assert lax(cli) == ([], 0)
    assert set(modes(data).values()) <= {"d0700", "f0600"}


def test_a_malformed_setting_stops_the_start_with_a_message_naming_it(cli):
    broken = Process({**cli.env, "SECDESK_SMTP_RELAY": "mail.internal"})
    result = broken("worker", "--once")
    assert result.code == 2
    # One line, read when the settings are, before anything starts; no traceback.
    assert result.err.splitlines() == [
        "secdesk: SECDESK_SMTP_RELAY: expected HOST:PORT, got 'mail.internal'"
    ]


def test_check_names_each_warning_and_passes_without_an_error(cli):
    result = cli("check")
    assert result.code == 0
    assert "[secdesk.W001]" in result.out and "[secdesk.W003]" in result.out
