"""security.txt reads the same on every request until the worker renews its
Expires, a month before it lapses; it names the encryption key and the CSAF
provider, and sectxt finds nothing wrong with it on an https site."""

from datetime import timedelta

import time_machine
from django.test import Client
from django.utils import timezone
from sectxt import Parser

from secdesk import worker
from secdesk.advisories.models import SecurityContact
from secdesk.advisories.security_txt import renew_due
from secdesk.audit.models import AuditEvent, AuditRecord

SITE = "https://security.example.org"


def _expires(client) -> str:
    text = client.get("/.well-known/security.txt").content.decode()
    [line] = [line for line in text.splitlines() if line.startswith("Expires: ")]
    return line.removeprefix("Expires: ")


def test_security_txt_reads_the_same_until_it_is_renewed(project):
    client = Client()
    with time_machine.travel("2026-03-02 10:00:07Z", tick=False):
        worker.tick()
        first = client.get("/.well-known/security.txt").content
    with time_machine.travel("2026-03-09 17:31:59Z", tick=False):
        worker.tick()
        assert client.get("/.well-known/security.txt").content == first
    assert _expires(client) == "2027-03-02T10:00:07Z"


def test_the_worker_renews_expires_a_month_before_it_lapses(project):
    with time_machine.travel("2026-03-02 10:00Z", tick=False):
        assert renew_due() == ["libvirt"]
    contact = SecurityContact.objects.get(project=project)
    renewed_at = contact.expires_at - timedelta(days=30)
    with time_machine.travel(renewed_at - timedelta(minutes=1), tick=False):
        assert renew_due() == []
    with time_machine.travel(renewed_at, tick=False):
        assert renew_due() == ["libvirt"]
        contact.refresh_from_db()
        assert contact.expires_at == timezone.now() + timedelta(days=365)
    renewals = AuditRecord.objects.filter(event=AuditEvent.SECURITY_CONTACT_CHANGED)
    assert renewals.count() == 2


def test_security_txt_on_an_https_site_passes_sectxt_naming_key_and_csaf(project):
    SecurityContact.objects.create(
        project=project, openpgp_key="-----BEGIN PGP PUBLIC KEY BLOCK-----\n...\n"
    )
    renew_due()
    response = Client().get("/.well-known/security.txt")
    parsed = Parser(response.content, urls=f"{SITE}/.well-known/security.txt")
    assert parsed.errors == []
    assert parsed.is_valid()
    text = response.content.decode()
    assert f"Encryption: {SITE}/security/libvirt/openpgp.asc" in text
    assert f"CSAF: {SITE}/.well-known/csaf/provider-metadata.json" in text
