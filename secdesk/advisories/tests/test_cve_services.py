"""CVE Services through cvelib, against a local server that speaks its API:
reserve ids into the pool, publish the record at publication, reject an unused
id — and the API key never shows."""

import logging

import pytest

from secdesk.advisories.actions import do_assign_next_cve, do_publish_case
from secdesk.advisories.cve_services import do_reject_cve, do_reserve_cve_ids, do_set_cve_services
from secdesk.advisories.models import CveId, CveState, Publication
from secdesk.audit.models import AuditRecord
from secdesk.errors import NotAllowed, Refused

from .cve_services_fake import FakeCveServices


@pytest.fixture
def cve_services(project, alice):
    with FakeCveServices() as fake:
        do_set_cve_services(
            project, org=fake.org, user=fake.user, api_key=fake.key, url=fake.url, acting=alice
        )
        yield fake


def test_only_an_admin_sets_the_account(project, bob):
    with pytest.raises(NotAllowed):
        do_set_cve_services(project, org="o", user="u", api_key="k", acting=bob)


def test_reserved_ids_go_into_the_pool_with_the_allocating_member(cve_services, project, bob):
    added = do_reserve_cve_ids(project, count=2, year=2026, acting=bob)
    assert [c.cve_id for c in added] == ["CVE-2026-9001", "CVE-2026-9002"]
    assert all(c.allocated_by == bob and c.from_cve_services for c in added)
    method, path, request = cve_services.requests[-1]
    assert (method, path) == ("POST", "/api/cve-id")
    assert request["query"] == {
        "amount": "2",
        "cve_year": "2026",
        "short_name": "example-cna",
        "batch_type": "sequential",
    }


def test_a_wrong_key_is_a_one_line_refusal_that_does_not_show_the_key(
    cve_services, project, alice, bob
):
    do_set_cve_services(
        project,
        org=cve_services.org,
        user=cve_services.user,
        api_key="wrong-key",
        url=cve_services.url,
        acting=alice,
    )
    with pytest.raises(Refused, match="401 Unauthorized") as refused:
        do_reserve_cve_ids(project, acting=bob)
    assert "wrong-key" not in refused.value.message


def test_publication_publishes_the_cve_record(cve_services, ready_case, bob, caplog):
    caplog.set_level(logging.DEBUG)
    cve_services.reserve_directly("CVE-2026-1001")
    do_publish_case(ready_case, acting=bob)
    record = cve_services.records["CVE-2026-1001"]
    assert record["cveMetadata"]["state"] == "PUBLISHED"
    assert record["containers"]["cna"]["title"] == "Heap overflow in the RPC parser"
    assert Publication.objects.get(case=ready_case).cve_published_at is not None
    assert cve_services.key not in caplog.text
    assert all(cve_services.key not in str(r.details) for r in AuditRecord.objects.all())


def test_a_resumed_publication_updates_the_record_it_already_published(
    cve_services, ready_case, bob
):
    cve_services.reserve_directly("CVE-2026-1001")
    cve_services.records["CVE-2026-1001"] = {"published": "by an earlier attempt"}
    do_publish_case(ready_case, acting=bob)
    calls = [(m, p) for m, p, _ in cve_services.requests if "/api/cve/" in p]
    assert calls == [("POST", "/api/cve/CVE-2026-1001/cna"), ("PUT", "/api/cve/CVE-2026-1001/cna")]


def test_an_unknown_id_at_the_service_stops_the_publication_before_the_case_is_marked(
    cve_services, ready_case, bob
):
    with pytest.raises(Refused, match="CVE-2026-1001 not found"):
        do_publish_case(ready_case, acting=bob)
    ready_case.refresh_from_db()
    assert ready_case.published_at is None
    cve_services.reserve_directly("CVE-2026-1001")
    do_publish_case(ready_case, acting=bob)
    ready_case.refresh_from_db()
    assert ready_case.published_at is not None


def test_an_unused_id_is_rejected_at_the_service(cve_services, project, new_case, bob):
    (cve,) = do_reserve_cve_ids(project, acting=bob)
    do_reject_cve(cve.cve_id, reason="Duplicate of CVE-2026-1001", acting=bob)
    assert CveId.objects.get(pk=cve.pk).state == CveState.REJECTED
    method, path, request = cve_services.requests[-1]
    assert (method, path) == ("POST", f"/api/cve/{cve.cve_id}/reject")
    assert request["body"]["cnaContainer"]["rejectedReasons"] == [
        {"lang": "en", "value": "Duplicate of CVE-2026-1001"}
    ]
    assert cve_services.ids[cve.cve_id]["state"] == "REJECTED"


def test_an_assigned_id_is_not_rejected(cve_services, project, new_case, bob):
    from secdesk.cases.actions import triage

    from .conftest import CVSS

    do_reserve_cve_ids(project, acting=bob)
    case = new_case()
    triage.do_record_triage(case, security_issue=True, reasoning="x", cvss3=CVSS, acting=bob)
    cve = do_assign_next_cve(case, acting=bob)
    with pytest.raises(Refused, match="only an unused id"):
        do_reject_cve(cve.cve_id, reason="no", acting=bob)
