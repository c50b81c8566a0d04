"""The fixed cast the tests share.

root is the site administrator; on project "libvirt" alice is admin, bob and
carol are members, dave a moderator; charlie is known to secdesk but on no team.
"""

import shutil
import subprocess
import tempfile

import pytest

from secdesk.cases.actions import reports
from secdesk.teams.actions import (
    do_accept_policy,
    do_add_member,
    do_create_admin,
    do_create_project,
)
from secdesk.testing import CHROMIUM_MISSING


def pytest_terminal_summary(terminalreporter):
    """Say once, at the end, how to run the browser tests that were skipped
    for want of a browser (here: this conftest is loaded by xdist's controller
    too, which sees every worker's reports)."""
    skipped = terminalreporter.stats.get("skipped", [])
    if any(CHROMIUM_MISSING in str(report.longrepr) for report in skipped):
        terminalreporter.write_line(CHROMIUM_MISSING, yellow=True)


@pytest.fixture
def root(db):
    return do_create_admin("root@example.org")


@pytest.fixture
def project(root):
    return do_create_project(
        slug="libvirt",
        name="libvirt",
        security_address="security@libvirt.example",
        dev_list="devel@libvirt.example",
        announce_list="announce@libvirt.example",
        acting=root,
    )


def _join(project, email, role, by):
    membership = do_add_member(project, email=email, role=role, acting=by)
    do_accept_policy(project, acting=membership.person)
    return membership.person


@pytest.fixture
def alice(project, root):
    return _join(project, "alice@redhat.example", "admin", root)


@pytest.fixture
def bob(project, alice):
    return _join(project, "bob@suse.example", "member", alice)


@pytest.fixture
def carol(project, alice):
    return _join(project, "carol@debian.example", "member", alice)


@pytest.fixture
def dave(project, alice):
    return _join(project, "dave@gentoo.example", "moderator", alice)


@pytest.fixture
def charlie(db):
    from secdesk.teams.models import Person

    return Person.objects.create(email="charlie@elsewhere.example")


@pytest.fixture
def new_case(project, alice):
    """A factory: a report received, validated and accepted by the team."""

    def make(state="accepted", public=False, subject="Crash in RPC dispatch"):
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
