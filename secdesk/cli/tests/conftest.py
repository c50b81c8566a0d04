"""CLI tests run the real `secdesk` command in a subprocess, against a database of
their own: a fresh SQLite data directory, or — when the suite runs on
PostgreSQL — a fresh database on the same server.

Starting the command costs a second or two, so the common starting point (a
migrated database with a team and one accepted case) is built once per session
through the CLI and copied for each test: the SQLite file, or a PostgreSQL
database created from it as a template.
"""

import uuid

import pytest

from secdesk.testing import ALICE, Databases, set_up_libvirt


@pytest.fixture(scope="session")
def cli_databases(tmp_path_factory):
    databases = Databases(tmp_path_factory.mktemp("cli"))
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def team_template(cli_databases):
    """root creates project libvirt; alice (admin) and bob (member) join it; case #1 is
    received, validated and accepted."""

    def set_up(cli):
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

    return cli_databases.template("template", set_up)


@pytest.fixture
def team(cli_databases, team_template, request):
    return cli_databases.cli(
        request.node.name.replace("/", "_")[:60] + uuid.uuid4().hex[:6], template=team_template
    )


@pytest.fixture
def cli(cli_databases, request):
    return cli_databases.cli("fresh-" + uuid.uuid4().hex[:8])
