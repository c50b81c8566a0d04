"""The public pages show only what is published, need no login, and the
security documents say what the policy enforces."""

import pytest
from django.test import Client
from sectxt import Parser

from secdesk.advisories.actions import do_publish_case
from secdesk.advisories.models import SecurityContact
from secdesk.advisories.policy_docs import security_txt
from secdesk.cases.actions import embargo
from secdesk.errors import PolicyRefused
from secdesk.teams.actions import do_set_policy


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)


def test_an_embargoed_advisory_is_on_no_public_page(client, ready_case):
    index = client.get("/advisories/")
    assert index.status_code == 200
    assert "Heap overflow" not in index.content.decode()
    assert "Heap overflow" not in client.get("/advisories/feed.atom").content.decode()
    assert client.get(f"/advisories/DRAFT-{ready_case.pk}/").status_code == 404


def test_a_published_advisory_is_served_in_every_format_without_login(client, ready_case, bob):
    do_publish_case(ready_case, acting=bob)
    advisory_id = ready_case.advisory.public_id
    page = client.get(f"/advisories/{advisory_id}/")
    assert page.status_code == 200
    assert "Heap overflow in the RPC parser" in page.content.decode()
    assert "CVE-2026-1001" in client.get(f"/advisories/{advisory_id}.txt").content.decode()
    assert client.get(f"/advisories/{advisory_id}.osv.json").json()["aliases"] == ["CVE-2026-1001"]
    csaf = client.get(f"/advisories/{advisory_id}.csaf.json").json()
    assert csaf["document"]["tracking"]["id"] == advisory_id
    cve = client.get(f"/advisories/{advisory_id}/CVE-2026-1001.json").json()
    assert cve["descriptions"][0]["value"].startswith("A crafted RPC packet")
    feed = client.get("/advisories/feed.atom")
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert f"{advisory_id}: Heap overflow" in feed.content.decode()
    assert advisory_id in client.get("/advisories/?project=libvirt").content.decode()


def test_security_txt_parses_without_errors(client, project, settings):
    SecurityContact.objects.create(
        project=project, openpgp_key="-----BEGIN PGP PUBLIC KEY BLOCK-----\n...\n"
    )
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    parsed = Parser(response.content, urls="https://security.example.org/.well-known/security.txt")
    assert parsed.errors == []
    text = response.content.decode()
    for field in ("Contact:", "Expires:", "Encryption:", "Policy:", "Canonical:"):
        assert field in text
    assert "Preferred-Languages: en" in text
    assert client.get("/security/libvirt/openpgp.asc").status_code == 200


def test_with_several_projects_well_known_serves_the_site_default(client, project, root):
    from secdesk.teams.actions import do_create_project

    other = do_create_project(
        slug="qemu", name="QEMU", security_address="security@qemu.example", acting=root
    )
    assert client.get("/.well-known/security.txt").status_code == 404
    SecurityContact.objects.create(project=other, site_default=True)
    assert "security@qemu.example" in client.get("/.well-known/security.txt").content.decode()
    assert "security@libvirt.example" in security_txt(project)


def test_security_page_says_how_to_report_and_the_policy_numbers(client, project, alice):
    page = client.get("/security/libvirt/").content.decode()
    assert "mailto:security@libvirt.example" in page
    assert "crosses a privilege boundary" in page
    assert '<strong id="default-embargo">14 days</strong>' in page
    assert '<strong id="max-embargo">30 days</strong>' in page
    assert "announce@libvirt.example" in page
    assert "libvirt" in client.get("/security/").content.decode()
    section = client.get("/security/libvirt/security-issues.md").content.decode()
    assert "<security@libvirt.example>" in section


def test_a_7_day_maximum_changes_the_page_and_the_enforced_limit_together(
    client, new_case, project, alice, bob
):
    do_set_policy(project, {"default_embargo_days": "7", "max_embargo_days": "7"}, acting=alice)
    page = client.get("/security/libvirt/").content.decode()
    assert '<strong id="max-embargo">7 days</strong>' in page
    assert "never extended beyond" in page
    assert "30 days" not in page
    from secdesk.teams.actions import do_accept_policy

    do_accept_policy(project, acting=bob)
    case = new_case()
    with pytest.raises(PolicyRefused, match="maximum of 7 days"):
        embargo.do_propose_embargo(case, days=8, justification="vendors", acting=bob)
    embargo.do_propose_embargo(case, days=7, acting=bob)
