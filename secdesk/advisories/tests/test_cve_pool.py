"""The project's pool of reserved CVE ids: imported, assigned in order, released
when unused, each with the member who allocated it."""

import pytest

from secdesk.advisories.actions import do_assign_next_cve, do_import_cve_ids, do_release_cve
from secdesk.advisories.models import CveState
from secdesk.cases.actions import triage
from secdesk.errors import BadInput, NotAllowed, Refused

from .conftest import CVSS


@pytest.fixture
def triaged(new_case, bob):
    case = new_case()
    triage.do_record_triage(case, security_issue=True, reasoning="x", cvss3=CVSS, acting=bob)
    return case


def test_the_next_id_of_the_pool_goes_to_the_case_with_its_allocating_member(
    project, triaged, bob, carol
):
    do_import_cve_ids(project, ["cve-2026-2002", "CVE-2026-2001"], acting=carol)
    cve = do_assign_next_cve(triaged, acting=bob)
    assert cve.cve_id == "CVE-2026-2001"
    assert (cve.state, cve.case, cve.allocated_by) == (CveState.ASSIGNED, triaged, carol)


def test_an_empty_pool_says_how_to_fill_it(triaged, bob):
    with pytest.raises(Refused, match="pool of libvirt is empty"):
        do_assign_next_cve(triaged, acting=bob)


def test_a_malformed_id_is_refused(project, bob):
    with pytest.raises(BadInput, match="malformed CVE id 'CVE-26-1'"):
        do_import_cve_ids(project, ["CVE-26-1"], acting=bob)


def test_an_outsider_cannot_import(project, charlie):
    with pytest.raises(NotAllowed):
        do_import_cve_ids(project, ["CVE-2026-2001"], acting=charlie)


def test_a_released_id_returns_to_the_pool(project, triaged, bob):
    do_import_cve_ids(project, ["CVE-2026-2001"], acting=bob)
    cve = do_assign_next_cve(triaged, acting=bob)
    do_release_cve(cve.cve_id, acting=bob)
    cve.refresh_from_db()
    assert (cve.state, cve.case) == (CveState.RESERVED, None)
    with pytest.raises(Refused, match="only an assigned id is released"):
        do_release_cve(cve.cve_id, acting=bob)
