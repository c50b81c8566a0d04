"""One advisory, five formats, all telling the same story."""

import time_machine
from django.template.loader import render_to_string

from secdesk.advisories.actions import do_edit_advisory
from secdesk.advisories.facts import gather
from secdesk.advisories.formats import cve_record
from secdesk.advisories.render import render_documents
from secdesk.advisories.validation import csaf_problems, cve_problems, osv_problems

CVSS_LOW = "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N"


def _documents(case):
    return render_documents(case, gather(case, public_id="LIBVIRT-SA-2026-0001"))


@time_machine.travel("2026-03-02 10:00Z", tick=False)
def test_facts_give_affected_and_fixed_versions_per_branch(ready_case, upstream):
    _, fix, backport = upstream
    branches = {b["branch"]: b for b in gather(ready_case)["branches"]}
    assert branches["master"]["affected"] == ["1.0.0", "1.1.0"]
    assert branches["master"]["fixed_in"] == ["1.2.0"]
    assert branches["master"]["commits"] == [fix]
    assert branches["v1.0-maint"]["affected"] == ["1.0.0"]
    assert branches["v1.0-maint"]["fixed_in"] == ["1.0.1"]
    assert branches["v1.0-maint"]["commits"] == [backport]


def test_announcement_follows_the_layout_of_good_projects(ready_case, upstream):
    _, fix, _ = upstream
    text = _documents(ready_case)["text"]
    headings = [
        "Summary",
        "Impact",
        "Affected and fixed versions",
        "CVE",
        "Severity",
        "Credits",
        "Timeline (UTC)",
        "Fix commits",
        "References",
    ]
    positions = [text.index(f"\n{h}\n{'-' * len(h)}\n") for h in headings]
    assert positions == sorted(positions)
    assert "  libvirt:v1.0-maint\n    affected: 1.0.0\n    fixed in: 1.0.1" in text
    assert f"  master: {fix}" in text
    assert "high (8.8)" in text
    assert "Finn Finder (Research Lab)" in text


def test_cve_container_validates_against_the_cna_published_schema(ready_case):
    container = _documents(ready_case)["cve"]["CVE-2026-1001"]
    assert cve_problems(container) == []
    assert container["problemTypes"][0]["descriptions"][0]["cweId"] == "CWE-787"
    assert container["metrics"][0]["cvssV3_1"]["baseScore"] == 8.8
    [product] = container["affected"]
    assert product["versions"] == [
        {"version": "1.0.0", "status": "affected", "versionType": "semver", "lessThan": "1.0.1"},
        {"version": "1.1.0", "status": "affected", "versionType": "semver", "lessThan": "1.2.0"},
    ]
    assert product["defaultStatus"] == "unaffected"


def test_osv_has_one_git_range_with_the_fix_of_every_branch(ready_case, upstream):
    _, fix, backport = upstream
    osv = _documents(ready_case)["osv"]
    assert osv_problems(osv) == []
    assert osv["aliases"] == ["CVE-2026-1001"]
    [entry] = osv["affected"]
    [git] = entry["ranges"]
    assert git["type"] == "GIT"
    assert git["events"] == [{"introduced": "0"}, *({"fixed": c} for c in sorted([fix, backport]))]
    assert entry["versions"] == ["1.0.0", "1.1.0"]


def test_an_invalid_osv_document_is_caught(ready_case):
    osv = _documents(ready_case)["osv"]
    osv["affected"][0]["ranges"][0]["events"] = [{"fixed": "abc"}]
    assert osv_problems(osv)


def test_csaf_passes_the_mandatory_tests(ready_case):
    csaf = _documents(ready_case)["csaf"]
    assert csaf_problems(csaf) == []
    vulnerability = csaf["vulnerabilities"][0]
    assert vulnerability["cve"] == "CVE-2026-1001"
    assert vulnerability["cwe"] == {"id": "CWE-787", "name": "Out-of-bounds Write"}


def test_a_csaf_with_a_wrong_score_fails_the_mandatory_tests(ready_case):
    csaf = _documents(ready_case)["csaf"]
    csaf["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"] = 2.0
    assert any("6.1.9" in problem for problem in csaf_problems(csaf))


def test_a_case_without_repositories_still_renders_valid_documents(new_case, bob):
    from secdesk.advisories.actions import do_assign_cve
    from secdesk.cases.actions import triage
    from secdesk.fixes.actions import do_record_fix

    case = new_case()
    triage.do_record_triage(case, security_issue=True, reasoning="x", cvss3=CVSS_LOW, acting=bob)
    do_assign_cve(case, cve_id="CVE-2026-1003", acting=bob)
    do_record_fix(case, branch="master", commit="abcdef0", acting=bob)
    documents = _documents(case)
    assert cve_problems(documents["cve"]["CVE-2026-1003"]) == []
    assert osv_problems(documents["osv"]) == []
    assert csaf_problems(documents["csaf"]) == []


def test_a_branch_marked_not_affected_clears_its_releases_in_every_format(
    new_case, bob, repository, upstream
):
    from secdesk.advisories.tests import evaluators
    from secdesk.fixes.actions import do_mark_branch_not_affected, do_record_fix

    _, fix, _ = upstream
    case = new_case()
    do_record_fix(case, branch="master", commit=fix, repository="libvirt", acting=bob)
    do_mark_branch_not_affected(
        case, branch="v1.0-maint", reason="the RPC parser came in 1.1", acting=bob
    )
    facts = gather(case, public_id="LIBVIRT-SA-2026-0002")
    documents = render_documents(case, facts)
    releases = {"1.0.0", "1.0.1", "1.1.0", "1.2.0"}
    [product] = cve_record.render(facts, org_id="b3476cb9-2e1d-4d4b-8b8e-6f2c1a9e0c11")["affected"]
    assert evaluators.cve_affected(product, releases) == {"1.1.0"}
    assert documents["osv"]["affected"][0]["versions"] == ["1.1.0"]
    assert evaluators.csaf_affected(documents["csaf"]) == {"1.1.0"}


def test_an_advisory_without_credits_says_nobody_asked_not_to_be_named(ready_case, alice):
    do_edit_advisory(ready_case, {"credits": ""}, acting=alice)
    documents = _documents(ready_case)
    page = render_to_string("advisories/advisory.html", {"facts": documents["facts"]})
    for text in (documents["text"], page):
        assert "Credits" not in text and "not to be named" not in text
