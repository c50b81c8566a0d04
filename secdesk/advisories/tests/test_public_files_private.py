"""The advisory files in the data directory are written private like the rest of
it, whatever the umask: 0600 in 0700 folders."""

import os
import stat

import pytest
from django.conf import settings

from secdesk.advisories.actions import do_publish_case


@pytest.fixture
def lax_umask():
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_published_files_are_0600_in_0700_folders_under_a_lax_umask(lax_umask, ready_case, bob):
    do_publish_case(ready_case, acting=bob)
    public = settings.DATA_DIR / "public"
    found = {stat.S_IMODE(p.stat().st_mode) for p in public.rglob("*") if p.is_file()}
    folders = {stat.S_IMODE(p.stat().st_mode) for p in [public, *public.rglob("*")] if p.is_dir()}
    assert (found, folders) == ({0o600}, {0o700})
