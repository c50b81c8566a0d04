"""CLI tests run `main(argv)` in the test process, on the test database, with a
data directory of each test's own (`cli`, `team`). What only a process shows —
start-up, `serve`, the data directory's files — runs the real `secdesk` command
in a subprocess on a database of its own (`process_cli`)."""

import uuid

import pytest
from django.core.management.color import no_style
from django.db import connection

from secdesk.testing import ALICE, Cli, Databases, set_up_libvirt


@pytest.fixture
def cli(db, settings, tmp_path):
    """The command on the test database, its data directory empty, and its
    numbering from 1, as on a new site: tests name case #1. (Tests that commit,
    earlier in the same process, move the sequences on; the reset is undone
    with the test's transaction.)"""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    _number_from_one()
    return Cli()


def _number_from_one():
    sequences = connection.introspection.sequence_list()
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_by_name_sql(no_style(), sequences):
            cursor.execute(sql)


@pytest.fixture
def team(cli):
    """root creates project libvirt; alice (admin) and bob (member) join it; case #1 is
    received, validated and accepted — all through the command."""
    set_up_libvirt(cli)
    cli.ok(
        "case",
        "receive",
        "libvirt",
        "--from",
        "finder@research.example",
        "--subject",
        "Crash in RPC dispatch",
        "--body",
        "steps to reproduce",
        who=ALICE,
    )
    cli.ok("case", "validate", "1", who=ALICE)
    cli.ok("case", "accept", "1", who=ALICE)
    return cli


@pytest.fixture(scope="session")
def cli_databases(tmp_path_factory):
    databases = Databases(tmp_path_factory.mktemp("cli"))
    yield databases
    databases.drop_all()


@pytest.fixture
def process_cli(cli_databases):
    """The real command in a subprocess, on a new database of its own."""
    return cli_databases.cli("fresh-" + uuid.uuid4().hex[:8])
