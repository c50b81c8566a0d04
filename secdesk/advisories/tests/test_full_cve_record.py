"""Beside each CNA container, the whole CVE record: a file that names its own
CVE id, valid against the CVE 5.1.1 record schema and cvelib's validator."""

import json

import pytest
from cvelib.cve_api import CveRecord
from django.test import Client

from secdesk.advisories.actions import do_publish_case
from secdesk.advisories.public_files import public_dir
from secdesk.advisories.validation import cve_record_problems


@pytest.fixture
def published(ready_case, bob):
    do_publish_case(ready_case, acting=bob)
    return ready_case.advisory.public_id


def test_full_cve_record_names_its_id_and_holds_the_cna_container(published):
    client = Client()
    record = client.get(f"/advisories/{published}/CVE-2026-1001.record.json").json()
    container = client.get(f"/advisories/{published}/CVE-2026-1001.json").json()
    assert record["cveMetadata"]["cveId"] == "CVE-2026-1001"
    assert record["cveMetadata"]["state"] == "PUBLISHED"
    assert record["cveMetadata"]["assignerOrgId"] == container["providerMetadata"]["orgId"]
    assert record["containers"] == {"cna": container}
    assert cve_record_problems(record) == []
    CveRecord.validate(record, schema_path=CveRecord.Schemas.V5_SCHEMA)


def test_full_cve_record_is_written_beside_the_container(published):
    written = public_dir() / published / "CVE-2026-1001.record.json"
    assert json.loads(written.read_text())["cveMetadata"]["cveId"] == "CVE-2026-1001"


def test_full_cve_record_of_an_unknown_cve_is_not_found(published):
    assert Client().get(f"/advisories/{published}/CVE-2026-9999.record.json").status_code == 404


def test_a_record_without_its_cve_id_fails_the_record_schema(published):
    record = Client().get(f"/advisories/{published}/CVE-2026-1001.record.json").json()
    del record["cveMetadata"]["cveId"]
    assert cve_record_problems(record)
