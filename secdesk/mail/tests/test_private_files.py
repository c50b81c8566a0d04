"""Raw mail at rest is secdesk's alone: the spool with its journals, and the
.eml files of the outbox, are 0600 in 0700 folders whatever the umask."""

import os
import stat

import pytest
from django.db import transaction
from django.utils import timezone

from secdesk.mail import delivery, spool
from secdesk.mail.tests.conftest import mail
from secdesk.outbox import queue


@pytest.fixture
def lax_umask():
    before = os.umask(0o022)
    yield
    os.umask(before)


def modes(folder) -> dict[str, int]:
    return {
        str(path.relative_to(folder)): stat.S_IMODE(path.stat().st_mode)
        for path in [folder, *folder.rglob("*")]
    }


def test_the_spool_and_its_journals_are_0600_under_a_lax_umask(lax_umask, db, project, tmp_path):
    stored = spool.Spool(tmp_path / "secdesk.sqlite3-spool")
    try:
        stored.put(
            [
                {
                    "raw": mail(),
                    "mail_from": "finder@research.example",
                    "rcpt_tos": ["security@libvirt.example"],
                    "peer": "127.0.0.1",
                    "received_at": timezone.now(),
                    "project_id": project.pk,
                }
            ]
        )
        found = modes(tmp_path)
    finally:
        stored.close()
    assert found == {
        ".": found["."],
        "secdesk.sqlite3-spool": 0o600,
        "secdesk.sqlite3-spool-wal": 0o600,
        "secdesk.sqlite3-spool-shm": 0o600,
    }


def test_outbox_files_are_0600_in_a_0700_folder_under_a_lax_umask(
    lax_umask, project, settings, tmp_path
):
    settings.DATA_DIR = tmp_path / "data"
    with transaction.atomic():
        row = queue.enqueue(
            project=project, to=["a@example.org"], subject="s", body="b", kind="announcement"
        )
    assert delivery.deliver_due() == {"sent": 1, "failed": 0}
    assert modes(settings.DATA_DIR) == {
        ".": 0o700,
        "outbox": 0o700,
        f"outbox/{row.pk:08d}-announcement.eml": 0o600,
    }
