"""The site is a CSAF provider: each advisory under its canonical name, with
its hashes, found through provider-metadata.json and a ROLIE feed; the csaf
package's full preset passes."""

import hashlib
import json

import pytest
import time_machine
from csaf.csaf.v20 import validate
from django.test import Client

from secdesk.advisories.actions import do_publish_case
from secdesk.advisories.facts import gather
from secdesk.advisories.public_files import csaf_dir
from secdesk.advisories.render import render_documents
from secdesk.advisories.validation import csaf_problems, csaf_provider_problems
from secdesk.cases.actions import triage

SITE = "https://security.example.org"
CVSS4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)


def _get(client, url):
    assert url.startswith(SITE)
    response = client.get(url.removeprefix(SITE))
    assert response.status_code == 200, url
    return response


def _full_preset_failures(document) -> dict:
    report = validate(document, preset="full")
    return {
        result.id: [error.message for error in result.errors or ()]
        for result in report.results
        if not result.passed and not result.skipped
    }


def test_the_csaf_document_passes_the_full_preset(ready_case):
    csaf = render_documents(ready_case, gather(ready_case, public_id="LIBVIRT-SA-2026-0001"))
    assert _full_preset_failures(csaf["csaf"]) == {}


@time_machine.travel("2026-03-02 10:00:00.5Z", tick=False)
def test_a_published_advisory_is_found_from_the_provider_metadata_and_checks_out(
    client, ready_case, bob
):
    do_publish_case(ready_case, acting=bob)
    metadata = client.get("/.well-known/csaf/provider-metadata.json").json()
    assert csaf_provider_problems(metadata) == []
    assert metadata["canonical_url"] == f"{SITE}/.well-known/csaf/provider-metadata.json"
    [rolie] = [d["rolie"] for d in metadata["distributions"]]
    [feed_link] = rolie["feeds"]
    feed = _get(client, feed_link["url"]).json()["feed"]
    assert feed_link["url"].endswith("/white/csaf-feed-tlp-white.json")
    [entry] = feed["entry"]
    assert entry["id"] == "LIBVIRT-SA-2026-0001"
    links = {link["rel"]: link["href"] for link in entry["link"] if link["rel"] != "hash"}
    url = links["self"]
    assert url == f"{SITE}/.well-known/csaf/white/2026/libvirt-sa-2026-0001.json"
    content = _get(client, url).content
    document = json.loads(content)
    assert [r["url"] for r in document["document"]["references"] if r["category"] == "self"] == [
        url
    ]
    assert csaf_problems(document) == []
    for algorithm in ("sha256", "sha512"):
        assert {"rel": "hash", "href": f"{url}.{algorithm}"} in entry["link"]
        line = _get(client, f"{url}.{algorithm}").content.decode()
        assert line == f"{hashlib.new(algorithm, content).hexdigest()}  libvirt-sa-2026-0001.json\n"
    written = csaf_dir() / "white" / "2026" / "libvirt-sa-2026-0001.json"
    assert written.read_bytes() == content
    assert written.with_name("libvirt-sa-2026-0001.json.sha512").read_text() == line
    assert client.get(f"/advisories/{entry['id']}.csaf.json").content == content


def test_before_anything_is_published_the_feed_is_empty_and_no_document_is_served(
    client, ready_case
):
    assert (
        csaf_provider_problems(client.get("/.well-known/csaf/provider-metadata.json").json()) == []
    )
    assert (
        client.get("/.well-known/csaf/white/csaf-feed-tlp-white.json").json()["feed"]["entry"] == []
    )
    assert client.get("/.well-known/csaf/white/2026/libvirt-sa-2026-0001.json").status_code == 404


def test_a_provider_metadata_without_its_feed_fails_the_schema():
    assert csaf_provider_problems({"metadata_version": "2.0", "role": "csaf_provider"})


def test_cvss_4_is_kept_in_cve_and_osv_and_stated_in_a_csaf_note(bob, ready_case):
    triage.do_record_triage(
        ready_case, security_issue=True, reasoning="worse", cvss4=CVSS4, acting=bob
    )
    documents = render_documents(ready_case, gather(ready_case, public_id="LIBVIRT-SA-2026-0001"))
    container = documents["cve"]["CVE-2026-1001"]
    [metric] = [m["cvssV4_0"] for m in container["metrics"] if "cvssV4_0" in m]
    assert metric["vectorString"] == CVSS4
    assert {"type": "CVSS_V4", "score": CVSS4} in documents["osv"]["severity"]
    notes = documents["csaf"]["vulnerabilities"][0]["notes"]
    [note] = [n for n in notes if n["title"] == "CVSS 4.0"]
    assert CVSS4 in note["text"]
    assert csaf_problems(documents["csaf"]) == []
