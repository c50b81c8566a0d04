"""Files only secdesk's own user may read: the data directory holds session keys,
second-factor secrets, raw mail and embargoed fixes.

Directories are 0700 and files 0600 (git's read-only objects 0400), whatever the
umask: each creator asks for the mode itself, and `tighten` takes group and other
access away from whatever an older version or a careless hand left behind.
"""

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DIRECTORY = 0o700
FILE = 0o600
# Any access for the group or for others.
SHARED = 0o077
# For a process (git) that creates files of its own: nothing for anyone else.
UMASK = 0o077


def make_dir(path: Path) -> None:
    """The directory, and any missing parent, created 0700 (an existing one is
    left as it is: `tighten` is for that)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        # The mode passes through the umask, which can only take bits away.
        directory.mkdir(mode=DIRECTORY, exist_ok=True)


def create_file(path: Path | str) -> None:
    """Create the file empty and 0600 if it is not there; never truncates. For a
    file another program fills (SQLite makes its -wal and -shm files with the
    mode of the database file)."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE))


@dataclass(frozen=True)
class Lax:
    path: Path
    mode: int

    def __str__(self) -> str:
        return f"{self.path} is {self.mode:04o}"


def _everything(root: Path) -> Iterator[Path]:
    """The root and everything under it; symbolic links are not followed."""
    yield root
    for folder, directories, files in os.walk(root):
        for name in directories + files:
            yield Path(folder) / name


def lax(paths: list[Path]) -> list[Lax]:
    """What others may read or enter: each path, and for a directory everything
    under it. Missing paths and symbolic links are skipped."""
    found = []
    for top in paths:
        if not top.exists():
            continue
        for path in _everything(top):
            mode = os.lstat(path).st_mode
            if not stat.S_ISLNK(mode) and mode & SHARED:
                found.append(Lax(path, stat.S_IMODE(mode)))
    return found


def tighten(paths: list[Path]) -> list[Lax]:
    """Take group and other access from everything `lax` finds; what stays lax
    (a file of another user, say) is returned."""
    left = []
    for item in lax(paths):
        try:
            os.chmod(item.path, item.mode & ~SHARED)
        except OSError:
            left.append(item)
    return left
