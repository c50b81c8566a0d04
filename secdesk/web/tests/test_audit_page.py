"""The audit page shows an admin the records of the cases they may see, and their
projects' records about no case; never those of a case restricted to others."""

import re

import pytest
from django.db import transaction

from secdesk.audit.log import record, record_each
from secdesk.audit.models import AuditEvent
from secdesk.teams.models import Role
from secdesk.web.tests.conftest import join, make_person

VECTOR = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H"


@pytest.fixture
def ada(libvirt):
    """A second admin of libvirt."""
    person = make_person("ada@example.org", "Ada Admin")
    join(person, libvirt, Role.ADMIN)
    return person


@pytest.fixture
def restricted(case, alice, bob, libvirt):
    """The case restricted to alice and bob, with records of what it holds."""
    case.restricted_to.set([alice, bob])
    with transaction.atomic():
        record(None, AuditEvent.REPORT_RECEIVED, case=case, reporter="reporter@example.net")
        record(alice, AuditEvent.TRIAGE_RECORDED, case=case, cvss3=VECTOR)
        record(alice, AuditEvent.FIX_RECORDED, case=case, commit="0123abcd4567ef89")
        record(alice, AuditEvent.POLICY_CHANGED, project=libvirt, version=2)
    return case


def test_an_admin_left_out_of_a_restricted_case_sees_none_of_its_records(login_as, ada, restricted):
    page = login_as(ada).get("/audit/").content.decode()
    assert "policy changed" in page
    for secret in (
        "reporter@example.net",
        VECTOR,
        "0123abcd4567ef89",
        f"/cases/{restricted.project.slug}/{restricted.number}/",
    ):
        assert secret not in page


def test_an_admin_the_restricted_case_admits_sees_its_records(login_as, alice, ada, restricted):
    page = login_as(alice).get("/audit/").content.decode()
    assert "reporter@example.net" in page and "0123abcd4567ef89" in page
    assert "policy changed" in page


def test_the_trail_pages_back_and_forth_by_record_number(login_as, alice, libvirt):
    with transaction.atomic():
        record_each(
            alice,
            AuditEvent.POLICY_CHANGED,
            [{"project": libvirt, "version": n} for n in range(250)],
        )
    client = login_as(alice)

    def shown(query=""):
        page = client.get(f"/audit/{query}").content.decode()
        return [int(seq) for seq in re.findall(r"<tr><td>(\d+)</td>", page)], page

    newest, page = shown()
    last = max(newest)
    assert newest == list(range(last, last - 100, -1))
    assert f"?before={last - 99}" in page and "?after=" not in page
    older, page = shown(f"?before={last - 99}")
    assert older == list(range(last - 100, last - 200, -1))
    assert f"?after={last - 100}" in page
    assert shown(f"?after={last - 100}")[0] == newest
