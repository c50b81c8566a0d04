"""Private files: made 0700 and 0600 whatever the umask, and what others may
read found and made private."""

import os
import stat

import pytest

from secdesk.lib import private


@pytest.fixture
def lax_umask():
    """The umask of a careless service unit: new files readable by everyone."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_directory_and_its_missing_parents_are_made_0700_under_a_lax_umask(lax_umask, tmp_path):
    private.make_dir(tmp_path / "data" / "outbox")
    assert mode(tmp_path / "data") == 0o700
    assert mode(tmp_path / "data" / "outbox") == 0o700


def test_a_file_made_before_sqlite_opens_it_is_0600_and_an_old_one_keeps_its_content(
    lax_umask, tmp_path
):
    path = tmp_path / "secdesk.sqlite3"
    private.create_file(path)
    assert mode(path) == 0o600 and path.read_bytes() == b""
    path.write_bytes(b"rows")
    private.create_file(path)
    assert path.read_bytes() == b"rows"


def test_tightening_takes_group_and_other_access_from_everything_below(lax_umask, tmp_path):
    data = tmp_path / "data"
    (data / "git").mkdir(parents=True, mode=0o755)
    (data / "secdesk.sqlite3").write_bytes(b"")
    hook = data / "git" / "hook"
    hook.write_bytes(b"#!/bin/sh\n")
    hook.chmod(0o755)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"")
    (data / "link").symlink_to(elsewhere)
    data.chmod(0o755)

    assert {str(item.path.relative_to(tmp_path)) for item in private.lax([data])} == {
        "data",
        "data/git",
        "data/git/hook",
        "data/secdesk.sqlite3",
    }
    assert private.tighten([data]) == []

    assert private.lax([data]) == []
    assert (mode(data), mode(data / "git")) == (0o700, 0o700)
    assert (mode(data / "secdesk.sqlite3"), mode(hook)) == (0o600, 0o700)
    # A link is not followed out of the data directory.
    assert mode(elsewhere) == 0o644


def test_a_missing_path_is_neither_lax_nor_an_error(tmp_path):
    assert private.lax([tmp_path / "secdesk.sqlite3-wal"]) == []
