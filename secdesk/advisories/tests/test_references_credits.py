"""References keep their types, credits their roles, an advisory may name
several weaknesses, and a zero-day's CVE record dates it from its disclosure:
every format says so in its own words, and still validates."""

import pytest
import time_machine

from secdesk.advisories.actions import do_edit_advisory, do_publish_case
from secdesk.advisories.facts import gather
from secdesk.advisories.render import render_documents
from secdesk.advisories.validation import document_problems
from secdesk.cases.actions.triage import do_set_fact
from secdesk.errors import BadInput

REFERENCES = """report https://bugs.example.org/1234
fix: https://git.example.org/libvirt/commit/0123abcd
exploit https://exploits.example.net/libvirt-rpc
mailing list https://lists.example.org/archives/oss-security/1
https://blog.example.org/analysis"""

CREDITS = """Finn Finder (Research Lab)
reporter: Jürgen Example <jürgen@uni.example>
remediation developer: Dana Developer
Dr: Who"""


def _documents(case):
    documents = render_documents(case, gather(case, public_id="LIBVIRT-SA-2026-0001"))
    assert document_problems(documents) == []
    return documents


def test_reference_types_become_cve_tags_osv_types_and_csaf_summaries(ready_case, bob):
    do_edit_advisory(ready_case, {"references": REFERENCES}, acting=bob)
    documents = _documents(ready_case)
    cve = {r["url"]: r.get("tags") for r in documents["cve"]["CVE-2026-1001"]["references"]}
    assert cve["https://bugs.example.org/1234"] == ["issue-tracking"]
    assert cve["https://git.example.org/libvirt/commit/0123abcd"] == ["patch"]
    assert cve["https://exploits.example.net/libvirt-rpc"] == ["exploit"]
    assert cve["https://lists.example.org/archives/oss-security/1"] == ["mailing-list"]
    assert cve["https://blog.example.org/analysis"] is None
    osv = {r["url"]: r["type"] for r in documents["osv"]["references"]}
    assert osv["https://bugs.example.org/1234"] == "REPORT"
    assert osv["https://git.example.org/libvirt/commit/0123abcd"] == "FIX"
    assert osv["https://exploits.example.net/libvirt-rpc"] == "EVIDENCE"
    assert osv["https://lists.example.org/archives/oss-security/1"] == "DISCUSSION"
    assert osv["https://blog.example.org/analysis"] == "WEB"
    csaf = {r["url"]: r["summary"] for r in documents["csaf"]["document"]["references"]}
    assert csaf["https://exploits.example.net/libvirt-rpc"] == "Exploit"
    assert "https://bugs.example.org/1234 (report)" in documents["text"]


def test_credit_roles_reach_every_format_with_an_international_address(ready_case, bob):
    do_edit_advisory(ready_case, {"credits": CREDITS}, acting=bob)
    documents = _documents(ready_case)
    cve = [(c["value"], c["type"]) for c in documents["cve"]["CVE-2026-1001"]["credits"]]
    assert cve == [
        ("Finn Finder (Research Lab)", "finder"),
        ("Jürgen Example", "reporter"),
        ("Dana Developer", "remediation developer"),
        ("Dr: Who", "finder"),
    ]
    osv = documents["osv"]["credits"]
    assert osv[1] == {
        "name": "Jürgen Example",
        "type": "REPORTER",
        "contact": ["mailto:jürgen@uni.example"],
    }
    assert osv[2]["type"] == "REMEDIATION_DEVELOPER"
    acknowledgments = documents["csaf"]["vulnerabilities"][0]["acknowledgments"]
    assert {"names": ["Jürgen Example"], "summary": "reporter"} in acknowledgments
    assert "Jürgen Example <jürgen@uni.example> (reporter)" in documents["text"]


def test_several_weaknesses_are_named_in_every_format(ready_case, bob):
    do_edit_advisory(ready_case, {"cwe": "cwe-787 CWE-20"}, acting=bob)
    assert ready_case.advisory.cwe == "CWE-787, CWE-20"
    documents = _documents(ready_case)
    [problem] = documents["cve"]["CVE-2026-1001"]["problemTypes"]
    assert [d["cweId"] for d in problem["descriptions"]] == ["CWE-787", "CWE-20"]
    assert documents["osv"]["database_specific"]["cwe_ids"] == ["CWE-787", "CWE-20"]
    vulnerability = documents["csaf"]["vulnerabilities"][0]
    assert vulnerability["cwe"]["id"] == "CWE-787"
    assert any("CWE-20 Improper Input Validation" in n["text"] for n in vulnerability["notes"])
    assert "CWE-20: Improper Input Validation" in documents["text"]


@pytest.mark.parametrize(
    ("field", "value", "complaint"),
    [
        ("references", "blog https://blog.example.org/x", "no type 'blog'"),
        ("references", "fix git.example.org/commit/1", "not an http"),
        ("credits", "reporter: Rita <rita@@example.org>", "not a mail address"),
        ("cwe", "CWE-787, CWE-999999", "CWE-999999 is not in the CWE catalog"),
    ],
)
def test_a_malformed_reference_credit_or_weakness_is_refused(
    ready_case, bob, field, value, complaint
):
    with pytest.raises(BadInput, match=complaint):
        do_edit_advisory(ready_case, {field: value}, acting=bob)


def test_a_zero_days_cve_record_is_dated_from_its_disclosure(ready_case, bob):
    with time_machine.travel("2026-03-01 08:30Z", tick=False):
        do_set_fact(ready_case, "public", acting=bob)
    with time_machine.travel("2026-03-02 10:00Z", tick=False):
        do_publish_case(ready_case, acting=bob)
    documents = ready_case.publication.documents
    assert documents["cve"]["CVE-2026-1001"]["datePublic"] == "2026-03-01T08:30:00Z"
    assert documents["facts"]["published"] == "2026-03-02T10:00:00Z"
    assert documents["csaf"]["vulnerabilities"][0]["release_date"] == "2026-03-01T08:30:00Z"
