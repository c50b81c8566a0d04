"""Publication is refused while a maintained branch lacks a fix; an admin may
override with a reason, which the audit trail keeps."""

import pytest

from secdesk.advisories.actions import do_assign_cve, do_publish_case
from secdesk.audit.models import AuditEvent, AuditRecord
from secdesk.cases.actions import embargo, triage
from secdesk.errors import NotAllowed, PolicyRefused, Refused
from secdesk.fixes.actions import do_record_fix
from secdesk.fixes.models import Branch, Repository
from secdesk.fixes.tests.history import History

CVSS = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"


@pytest.fixture
def upstream(tmp_path):
    h = History.create(tmp_path / "upstream")
    h.commit("Start", {"parser.c": "int x;\n"})
    h.tag("v1.0.0")
    h.checkout("v1.0-maint", new_at="v1.0.0")
    h.commit("Note 1.0.1", {"NEWS": "1.0.1\n"})
    h.checkout("master")
    fix = h.commit("parser: check the length (CVE-2026-1001)", {"parser.c": "int x = 0;\n"})
    return h, fix


@pytest.fixture
def ready_case(project, alice, bob, new_case, upstream, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    history, fix = upstream
    repository = Repository.objects.create(project=project, name="parser", url=str(history.path))
    for pattern in ("master", "v1.*-maint"):
        Branch.objects.create(repository=repository, pattern=pattern)
    case = new_case()
    triage.do_record_triage(case, security_issue=True, reasoning="overflow", cvss3=CVSS, acting=bob)
    do_assign_cve(case, cve_id="CVE-2026-1001", acting=bob)
    do_record_fix(case, branch="master", commit=fix, repository="parser", acting=bob)
    return case


def test_publishing_with_a_maintained_branch_lacking_a_fix_is_refused_naming_it(ready_case, bob):
    with pytest.raises(PolicyRefused, match=r"v1\.0-maint: no fix recorded"):
        do_publish_case(ready_case, acting=bob)
    ready_case.refresh_from_db()
    assert ready_case.published_at is None


def test_only_an_admin_may_override_a_missing_fix(ready_case, bob):
    with pytest.raises(NotAllowed, match="only an admin"):
        do_publish_case(ready_case, acting=bob, override_reason="1.0 is end of life next week")


def test_an_admin_override_is_recorded_in_the_audit_trail(ready_case, alice):
    do_publish_case(ready_case, acting=alice, override_reason="1.0 is end of life next week")
    entry = AuditRecord.objects.filter(event=AuditEvent.CASE_PUBLISHED).get()
    assert entry.actor == alice
    assert entry.details["override"] == "1.0 is end of life next week"
    assert entry.details["overridden"] == [
        "v1.0-maint: no fix recorded in libvirt/parser, and not marked not affected"
    ]


def test_publishing_needs_a_cve(project, new_case, bob):
    case = new_case()
    triage.do_record_triage(case, security_issue=True, reasoning="x", cvss3=CVSS, acting=bob)
    with pytest.raises(PolicyRefused, match="no CVE id"):
        do_publish_case(case, acting=bob)


def test_publishing_during_an_embargo_must_be_asked_for(new_case, alice, bob):
    case = new_case()
    triage.do_record_triage(case, security_issue=True, reasoning="x", cvss3=CVSS, acting=bob)
    do_assign_cve(case, cve_id="CVE-2026-1002", acting=bob)
    do_record_fix(case, branch="master", commit="abcdef0", acting=bob)
    embargo.do_propose_embargo(case, days=5, acting=alice)
    embargo.do_accept_embargo(case, acting=bob)
    with pytest.raises(PolicyRefused, match=r"in force until .* or ask to end it now"):
        do_publish_case(case, acting=bob)
    do_publish_case(case, acting=bob, end_embargo=True)
    with pytest.raises(Refused, match="already published"):
        do_publish_case(case, acting=bob)
