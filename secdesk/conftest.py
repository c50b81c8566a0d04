"""The fixed cast the tests share.

root is the site administrator; on project "libvirt" alice is admin, bob and
carol are members, dave a moderator; charlie is known to secdesk but on no team.
"""

import shutil
import subprocess
import tempfile
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.test import override_settings

from secdesk.cases.actions import reports
from secdesk.teams.actions import (
    do_accept_policy,
    do_add_member,
    do_create_admin,
    do_create_project,
)
from secdesk.teams.models import Person, Project
from secdesk.testing import CHROMIUM_MISSING


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing():
    with override_settings(PASSWORD_HASHERS=["secdesk.testing.CheapArgon2PasswordHasher"]):
        yield


def pytest_terminal_summary(terminalreporter):
    """Say once, at the end, how to run the browser tests that were skipped
    for want of a browser (here: this conftest is loaded by xdist's controller
    too, which sees every worker's reports)."""
    skipped = terminalreporter.stats.get("skipped", [])
    if any(CHROMIUM_MISSING in str(report.longrepr) for report in skipped):
        terminalreporter.write_line(CHROMIUM_MISSING, yellow=True)


def make_root():
    return do_create_admin("root@example.org")


def make_libvirt(root):
    return do_create_project(
        slug="libvirt",
        name="libvirt",
        security_address="security@libvirt.example",
        dev_list="devel@libvirt.example",
        announce_list="announce@libvirt.example",
        acting=root,
    )


def join(project, email, role, by):
    """`email` added to `project` by `by`, bound by its policy; the person."""
    membership = do_add_member(project, email=email, role=role, acting=by)
    do_accept_policy(project, acting=membership.person)
    return membership.person


@dataclass
class Cast:
    root: Person
    project: Project
    alice: Person
    bob: Person
    carol: Person
    dave: Person


def make_cast() -> Cast:
    """The fixed cast, all at once: for a world built once per module."""
    root = make_root()
    project = make_libvirt(root)
    alice = join(project, "alice@redhat.example", "admin", root)
    return Cast(
        root,
        project,
        alice,
        bob=join(project, "bob@suse.example", "member", alice),
        carol=join(project, "carol@debian.example", "member", alice),
        dave=join(project, "dave@gentoo.example", "moderator", alice),
    )


def receive_case(project, alice, state="accepted", public=False, subject="Crash in RPC dispatch"):
    """A report received, and validated and accepted by alice as `state` asks."""
    case = reports.do_receive_report(
        project,
        reporter_email="finder@research.example",
        subject=subject,
        body="Steps to reproduce: ...",
        public=public,
        acting=None,
    )
    if state in ("valid", "accepted"):
        case = reports.do_validate_report(case, acting=alice)
    if state == "accepted":
        case = reports.do_accept_report(case, acting=alice)
    return case


def world_per_module(build):
    """Fixtures for a module whose tests all start from the same world: `build()`
    runs once, committed, and each test runs in a transaction undone at its end,
    so what one test changes is gone before the next. The database is emptied
    when the module is done. Assign both: `_built, world = world_per_module(f)`."""

    @pytest.fixture(scope="module", name="_world_built")
    def built(django_db_setup, django_db_blocker):
        with django_db_blocker.unblock():
            made = build()
        yield made
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)

    @pytest.fixture(name="world")
    def world(_world_built, db):
        return _world_built

    return built, world


@pytest.fixture
def root(db):
    return make_root()


@pytest.fixture
def project(root):
    return make_libvirt(root)


@pytest.fixture
def alice(project, root):
    return join(project, "alice@redhat.example", "admin", root)


@pytest.fixture
def bob(project, alice):
    return join(project, "bob@suse.example", "member", alice)


@pytest.fixture
def carol(project, alice):
    return join(project, "carol@debian.example", "member", alice)


@pytest.fixture
def dave(project, alice):
    return join(project, "dave@gentoo.example", "moderator", alice)


@pytest.fixture
def charlie(db):
    return Person.objects.create(email="charlie@elsewhere.example")


@pytest.fixture
def new_case(project, alice):
    """A factory: a report received, validated and accepted by the team."""

    def make(state="accepted", public=False, subject="Crash in RPC dispatch"):
        return receive_case(project, alice, state, public, subject)

    return make


class GnuPG:
    """gpg on a keyring of its own, with one key per person."""

    def __init__(self, home: str):
        self.home = home

    def __call__(self, *args, data: bytes = b"") -> bytes:
        return subprocess.run(
            ["gpg", "--homedir", self.home, "--batch", "--no-tty", *args],
            input=data,
            capture_output=True,
            check=True,
        ).stdout

    def new_key(self, address: str, *, expires="1y", made: str | None = None) -> str:
        """A new ed25519 signing key (made at `made`, e.g. 20250101T000000, if
        given); its armoured public key."""
        when = ["--faked-system-time", made] if made else []
        self(*when, "--passphrase", "", "--quick-gen-key", address, "ed25519", "sign", expires)
        return self.public(address)

    def public(self, address: str) -> str:
        return self("--armor", "--export", address).decode()

    def revoke(self, address: str) -> str:
        """Revoke the key with the certificate gpg made with it; its public key now."""
        fingerprint = self("--with-colons", "--list-keys", address).decode()
        fingerprint = next(
            line.split(":")[9] for line in fingerprint.splitlines() if line.startswith("fpr:")
        )
        with open(f"{self.home}/openpgp-revocs.d/{fingerprint}.rev") as f:
            # gpg puts a colon before the armour so that it is not imported by mistake.
            certificate = f.read().replace(":-----BEGIN", "-----BEGIN")
        self("--import", data=certificate.encode())
        return self.public(address)

    def clearsign(self, address: str, text: str) -> str:
        return self("-u", address, "--clearsign", data=text.encode()).decode()

    def detach_sign(self, address: str, data: bytes) -> bytes:
        return self("-u", address, "--armor", "--detach-sign", data=data)


@pytest.fixture
def gpg():
    """GnuPG, the other side of every OpenPGP test."""
    if shutil.which("gpg") is None or shutil.which("gpgconf") is None:
        pytest.skip("GnuPG is not installed (Debian: apt-get install gnupg); .ci/run installs it")
    # A short path of its own: gpg-agent's socket lives in it.
    with tempfile.TemporaryDirectory(prefix="gpg-") as home:
        yield GnuPG(home)
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "gpg-agent"], check=False)
