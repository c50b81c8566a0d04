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

from secdesk.testing import Cli, Databases

ROOT, ALICE, BOB = "root@example.org", "alice@redhat.example", "bob@suse.example"


def set_up_libvirt(cli: Cli) -> None:
    """Through the command: a migrated database, root's project libvirt, and
    alice (admin) and bob (member) on its team, both bound by its policy."""
    cli.ok("migrate")
    cli.ok("admin", "create", ROOT)
    cli.ok(
        "project",
        "create",
        "libvirt",
        "--security-address",
        "security@libvirt.example",
        "--dev-list",
        "devel@libvirt.example",
        "--announce-list",
        "announce@libvirt.example",
        who=ROOT,
    )
    for email, role in ((ALICE, "admin"), (BOB, "member")):
        cli.ok("member", "add", "libvirt", email, "--role", role, who=ROOT)
        cli.ok("member", "accept-policy", "libvirt", who=email)


@pytest.fixture(scope="session")
def cli_databases(tmp_path_factory):
    databases = Databases(tmp_path_factory.mktemp("cli"))
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def team_template(cli_databases):
    """root creates project libvirt; alice (admin) and bob (member) join it; case #1 is
    received, validated and accepted."""
    env = cli_databases.env("template")
    cli = Cli({k: v for k, v in env.items() if k != "db"})
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
    return env


@pytest.fixture
def team(cli_databases, team_template, request):
    return cli_databases.cli(
        request.node.name.replace("/", "_")[:60] + uuid.uuid4().hex[:6], template=team_template
    )


@pytest.fixture
def cli(cli_databases, request):
    return cli_databases.cli("fresh-" + uuid.uuid4().hex[:8])
