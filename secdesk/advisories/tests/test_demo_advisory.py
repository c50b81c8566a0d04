"""Acceptance A: the demo's published case has its advisory in all five formats,
each valid, and the demo project's security.txt parses cleanly."""

import pytest
from django.test import Client
from sectxt import Parser

from secdesk.advisories.models import Publication
from secdesk.advisories.validation import csaf_problems, cve_problems, osv_problems
from secdesk.demo import load_demo


@pytest.fixture
def demo(root):
    return load_demo()


def test_the_published_demo_case_has_all_five_formats_and_they_validate(demo):
    publication = Publication.objects.get(case__title__startswith="Information leak")
    advisory_id = publication.case.advisory.public_id
    client = Client()
    page = client.get(f"/advisories/{advisory_id}/")
    assert "Host paths disclosed in error messages" in page.content.decode()
    text = client.get(f"/advisories/{advisory_id}.txt").content.decode()
    assert "CVE-2026-41002" in text and "Lee Auditor" in text
    cve = client.get(f"/advisories/{advisory_id}/CVE-2026-41002.json").json()
    assert cve_problems(cve) == []
    assert osv_problems(client.get(f"/advisories/{advisory_id}.osv.json").json()) == []
    assert csaf_problems(client.get(f"/advisories/{advisory_id}.csaf.json").json()) == []


def test_every_published_demo_advisory_says_what_it_affects(demo):
    client = Client()
    for publication in Publication.objects.filter(finished_at__isnull=False):
        advisory_id = publication.case.advisory.public_id
        osv = client.get(f"/advisories/{advisory_id}.osv.json").json()
        [entry] = osv["affected"]
        [git] = entry["ranges"]
        assert git["repo"] == "https://git.example.org/example.git"
        [fix] = publication.case.fixes.all()
        assert git["events"] == [{"introduced": "0"}, {"fixed": fix.commit}]


def test_the_demo_projects_security_txt_parses_without_errors(demo):
    body = Client().get("/security/example/security.txt").content
    assert Parser(body).errors == []


def test_no_demo_advisory_says_a_reporter_asked_not_to_be_named(demo):
    client = Client()
    published = Publication.objects.filter(finished_at__isnull=False)
    assert published.count() == 2
    for publication in published:
        advisory_id = publication.case.advisory.public_id
        for url in (f"/advisories/{advisory_id}/", f"/advisories/{advisory_id}.txt"):
            assert "asked not to be named" not in client.get(url).content.decode()
