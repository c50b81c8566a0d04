"""The data directory's file system full, during a stream of reports and a
publication: secdesk on SQLite (the embedded default: the database, the mail
spool and the advisories' files all in the data directory), on a small
file system of the bench's own — a tmpfs it mounts, or else a loop-mounted
ext4 image. The bench fills it with a ballast file, keeps it full for a few
seconds, and frees it. Senders must be told 451 and send again; every report
stored once; the publication must go out once, when there is room again.
"""

import contextlib
import os
import subprocess
import tempfile
import time
from pathlib import Path

from ..desk import wait_until
from ..postgres import free_port
from ..relay import Fault, FaultRelay
from ..report import Row
from ..senders import Stream
from .database import decided, deferrals, intake_counts, intake_problems, listening
from .publication import announced, finished, whole

REPORTS = 400
TAG = "diskfull"
SIZE_MB = 96
FULL_FOR = 5.0


def _mount(root: Path) -> str:
    """A small file system at `root`: how it was made."""
    tried = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m,mode=0755", "tmpfs", str(root)],
        capture_output=True,
    )
    if tried.returncode == 0:
        return f"a {SIZE_MB} MB tmpfs"
    image = Path(tempfile.mkdtemp(prefix="secdesk-bench-image-")) / "disk.ext4"
    made = [
        subprocess.run(argv, capture_output=True).returncode
        for argv in (
            ["truncate", "-s", f"{SIZE_MB}M", str(image)],
            ["mkfs.ext4", "-q", str(image)],
            ["mount", "-o", "loop", str(image), str(root)],
        )
    ]
    if not any(made):
        return f"a {SIZE_MB} MB loop-mounted ext4 image"
    raise RuntimeError(
        "neither a tmpfs nor a loop device can be mounted here (the bench needs root): "
        + tried.stderr.decode(errors="replace").strip()
    )


def _fill(root: Path) -> Path:
    """Fill the file system to its last byte with a ballast file."""
    ballast = root / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1024 * 1024, 4096, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    return ballast


def run(stage, name: str) -> Row:
    root = Path(tempfile.mkdtemp(prefix="secdesk-bench-disk-"))
    made = _mount(root)
    desk = None
    started = time.monotonic()
    try:
        desk = stage.sqlite_desk(name, root)
        cases = desk.inside("ready_cases", count=1, first_cve=44000, queue=True)
        with FaultRelay(Fault()) as relay:
            desk.extra["SECDESK_SMTP_RELAY"] = f"127.0.0.1:{relay.port}"
            port = free_port()
            desk.start("mail", "mail", "--smtp", f"127.0.0.1:{port}")
            wait_until(lambda: listening(port), timeout=60, what="the mail daemon")
            stream = Stream(port, REPORTS, TAG).start()
            wait_until(lambda: stream.progress >= REPORTS // 4, timeout=120, what="reports")
            ballast = _fill(root)
            worker = desk.start("worker", "worker", "--interval", "0.5")
            time.sleep(FULL_FOR)
            full_at = {"accepted": stream.progress, "deferred": sum(stream.deferred.values())}
            ballast.unlink()
            stream.join()
            with contextlib.suppress(TimeoutError):
                wait_until(lambda: decided(desk), timeout=60, what="every report to be read")
                wait_until(lambda: finished(desk, cases), timeout=60, what="the publication")
                wait_until(lambda: _sent(desk), timeout=60, what="the mail to go out")
            worker.stop()
        return _row(desk, stream, relay, cases, made, full_at, started)
    finally:
        if desk is not None:
            desk.close()
        subprocess.run(["umount", "-l", str(root)], capture_output=True)
        with contextlib.suppress(OSError):
            os.rmdir(root)


def _sent(desk) -> bool:
    return not desk.mail_waiting()


def _row(desk, stream, relay, cases, made, full_at, started) -> Row:
    counts = intake_counts(desk, stream, TAG)
    [found] = desk.inside("publications", case_ids=[c["id"] for c in cases]).values()
    problems = intake_problems(desk, stream, counts)
    if not whole(found, cve_account=False):
        problems.append(f"the publication is not whole: {found}")
    held = counts["states"].get("held", 0)
    happened = (
        f"{made}, filled for {FULL_FOR:.0f} s under {stream.clients} senders "
        f"({full_at['accepted']} reports in by then) and a publication: {deferrals(stream)}, "
        f"sent again once freed; {held} held, one case each; the publication finished once "
        "there was room"
    )
    return Row(
        fault="the data directory's disk full",
        happened=happened,
        sent=counts["sent"],
        stored=counts["stored"],
        lost=counts["lost"],
        duplicated=counts["duplicated"] + relay.duplicates() + max(found["announcements"] - 1, 0),
        announcements_expected=1,
        announcements_sent=int(announced(relay, found)),
        problems=problems,
        seconds=time.monotonic() - started,
    )
