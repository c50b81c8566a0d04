"""A triaged libvirt case with a CVE, fixes on two branches of a real git history,
and an advisory written."""

import email
import socket

import pytest
from aiosmtpd.controller import Controller

from secdesk.advisories.actions import do_assign_cve, do_edit_advisory
from secdesk.cases.actions import triage
from secdesk.fixes import mirror
from secdesk.fixes.actions import do_record_fix
from secdesk.fixes.models import Branch, PackageIdentity, Repository
from secdesk.fixes.tests.history import History

PUBLIC_REPOSITORY = "https://gitlab.example.org/libvirt/libvirt.git"
CVSS = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"


@pytest.fixture(autouse=True)
def site(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.SITE_URL = "https://security.example.org"


def build_upstream(path, *, backport_released: bool = True):
    """master and v1.0-maint; 1.0.0 and 1.1.0 are affected, 1.2.0 fixed, and
    1.0.1 fixed when the backport is released."""
    h = History.create(path)
    h.commit("Start", {"parser.c": "int x;\n"})
    h.tag("v1.0.0")
    h.checkout("v1.0-maint", new_at="v1.0.0")
    h.checkout("master")
    h.commit("More", {"rpc.c": "int y;\n"})
    h.tag("v1.1.0")
    fix = h.commit("parser: check the length (CVE-2026-1001)", {"parser.c": "int x = 0;\n"})
    h.tag("v1.2.0")
    h.checkout("v1.0-maint")
    backport = h.cherry_pick(fix)
    if backport_released:
        h.tag("v1.0.1")
    h.checkout("master")
    return h, fix, backport


@pytest.fixture
def upstream(tmp_path):
    return build_upstream(tmp_path / "upstream")


@pytest.fixture
def repository(project, upstream):
    history, *_ = upstream
    repository = Repository.objects.create(project=project, name="libvirt", url=str(history.path))
    for pattern in ("master", "v1.*-maint"):
        Branch.objects.create(repository=repository, pattern=pattern)
    mirror.update(repository)
    PackageIdentity.objects.create(project=project, repository_url=PUBLIC_REPOSITORY)
    return repository


@pytest.fixture
def ready_case(new_case, bob, repository, upstream):
    _, fix, backport = upstream
    case = new_case(subject="Heap overflow in the RPC parser")
    triage.do_record_triage(case, security_issue=True, reasoning="overflow", cvss3=CVSS, acting=bob)
    do_assign_cve(case, cve_id="CVE-2026-1001", acting=bob)
    do_record_fix(case, branch="master", commit=fix, repository="libvirt", acting=bob)
    do_record_fix(case, branch="v1.0-maint", commit=backport, repository="libvirt", acting=bob)
    do_edit_advisory(
        case,
        {
            "title": "Heap overflow in the RPC parser",
            "description": "A crafted RPC packet overflows a heap buffer in the parser.",
            "impact": "A read-only client can crash the daemon or run code as root.",
            "cwe": "CWE-787",
            "credits": "Finn Finder (Research Lab)",
            "references": "https://bugs.example.org/1234",
        },
        acting=bob,
    )
    return case


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_sink(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.SMTP_RELAY = ("127.0.0.1", port)
    yield sink
    controller.stop()
