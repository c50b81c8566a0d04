"""How the advisories name the project's software: set by its admins, checked
against what each consumer accepts, the same product name in every format, and
the public repository apart from the mirror's address."""

import json

import pytest
from django.template.loader import render_to_string

from secdesk.advisories.facts import gather
from secdesk.advisories.package_identity import do_set_package_identity
from secdesk.advisories.render import render_documents
from secdesk.advisories.validation import document_problems
from secdesk.audit.models import AuditEvent, AuditRecord
from secdesk.errors import BadInput, NotAllowed
from secdesk.fixes.models import PackageIdentity


def _documents(case):
    return render_documents(case, gather(case, public_id="LIBVIRT-SA-2026-0001"))


def test_an_admin_names_the_package_and_every_format_uses_it(project, alice, ready_case):
    do_set_package_identity(
        project,
        {
            "product": "libvirt daemon",
            "ecosystem": "PyPI",
            "package_name": "libvirt-python",
            "purl": "pkg:pypi/libvirt-python",
            "cpe": "cpe:2.3:a:libvirt:libvirt:*:*:*:*:*:*:*:*",
        },
        acting=alice,
    )
    documents = _documents(ready_case)
    assert document_problems(documents) == []
    [product] = documents["cve"]["CVE-2026-1001"]["affected"]
    assert (product["vendor"], product["product"]) == ("libvirt", "libvirt daemon")
    assert product["collectionURL"] == "https://pypi.python.org"
    assert product["packageName"] == "libvirt-python"
    assert product["cpes"] == ["cpe:2.3:a:libvirt:libvirt:*:*:*:*:*:*:*:*"]
    [entry] = documents["osv"]["affected"]
    assert entry["package"] == {
        "ecosystem": "PyPI",
        "name": "libvirt-python",
        "purl": "pkg:pypi/libvirt-python",
    }
    assert entry["database_specific"]["product"] == "libvirt daemon"
    [vendor] = documents["csaf"]["product_tree"]["branches"]
    [name] = vendor["branches"]
    assert name["name"] == "libvirt daemon"
    first = name["branches"][0]["product"]
    assert first["name"] == "libvirt daemon 1.0.0"
    assert first["product_identification_helper"] == {
        "purl": "pkg:pypi/libvirt-python@1.0.0",
        "cpe": "cpe:2.3:a:libvirt:libvirt:1.0.0:*:*:*:*:*:*:*",
    }
    assert "Product:    libvirt daemon" in documents["text"]
    page = render_to_string("advisories/advisory.html", {"facts": documents["facts"]})
    assert "<dt>Product</dt><dd>libvirt daemon</dd>" in page
    change = AuditRecord.objects.get(event=AuditEvent.PACKAGE_IDENTITY_CHANGED)
    assert change.details["after"]["ecosystem"] == "PyPI"


def test_the_mirror_address_reaches_no_document(project, ready_case, repository):
    PackageIdentity.objects.filter(project=project).delete()
    documents = _documents(ready_case)
    assert document_problems(documents) == []
    assert repository.url not in json.dumps(documents)
    [entry] = documents["osv"]["affected"]
    assert "ranges" not in entry, "no GIT range without the public address"
    assert "repo" not in documents["cve"]["CVE-2026-1001"]["affected"][0]


@pytest.mark.parametrize(
    "changes, refusal",
    [
        ({"ecosystem": "Cargo", "package_name": "x"}, "is not one of OSV's"),
        ({"ecosystem": "PyPI"}, "together, or neither"),
        ({"purl": "pypi/requests"}, "expected pkg:TYPE/NAME"),
        ({"cpe": "libvirt"}, "CPE 2.3"),
        ({"repository_url": "git@github.com:libvirt/libvirt.git"}, "public https address"),
        ({"repository_url": "/srv/git/libvirt.git"}, "public https address"),
        ({"version_type": "calver"}, "one of semver, custom"),
        ({"colour": "blue"}, "no setting 'colour'"),
    ],
)
def test_a_name_its_consumer_would_reject_is_refused(project, alice, changes, refusal):
    with pytest.raises(BadInput, match=refusal):
        do_set_package_identity(project, changes, acting=alice)
    assert not PackageIdentity.objects.filter(project=project).exists()


def test_only_an_admin_names_the_package(project, bob):
    with pytest.raises(NotAllowed):
        do_set_package_identity(project, {"product": "x"}, acting=bob)
