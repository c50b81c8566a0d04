"""A mirror may hold an embargoed fix before its release: secdesk's alone,
whatever the umask, and made without touching the repository it mirrors."""

import os
import stat

import pytest

from secdesk.fixes import mirror
from secdesk.fixes.actions import do_add_repository


@pytest.fixture
def lax_umask():
    before = os.umask(0o022)
    yield
    os.umask(before)


def shared(folder) -> list[str]:
    """What group or others may read or enter."""
    return [
        str(path)
        for path in [folder, *folder.rglob("*")]
        if not path.is_symlink() and path.stat().st_mode & 0o077
    ]


def test_a_mirror_cloned_and_fetched_under_a_lax_umask_is_private(
    lax_umask, project, alice, released, settings, tmp_path
):
    settings.DATA_DIR = tmp_path / "data"
    repository = do_add_repository(project, name="libvirt", url=str(released.path), acting=alice)
    objects = {p: stat.S_IMODE(p.stat().st_mode) for p in released.path.rglob(".git/objects/*/*")}

    mirror.update(repository)
    released.history.commit("Later work", {"later.c": "1\n"})
    mirror.update(repository)

    assert shared(settings.DATA_DIR) == []
    assert stat.S_IMODE(mirror.path_of(repository).stat().st_mode) == 0o700
    # The original's files are its own still (no hard link was made private).
    assert {p: stat.S_IMODE(p.stat().st_mode) for p in objects} == objects
