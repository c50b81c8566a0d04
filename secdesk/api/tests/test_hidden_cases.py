"""Through the API, a case a person may not see is a case that does not exist:
the same status and the same words for each, and no refusal that names it,
tells its state or its CVE id's owner; held mail into it is not theirs to see or
decide (issue 14, findings 5, 8 and 9)."""

import json

import pytest
from django.test import Client

from secdesk.advisories.actions import do_assign_cve
from secdesk.cases.actions import reports, triage
from secdesk.cases.actions.restriction import do_restrict_case
from secdesk.mail.models import Inbound
from secdesk.teams.tokens import do_create_api_token
from secdesk.web.tests.test_moderation_hidden_cases import SUBJECT, into

MISSING = 999999
CVSS = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"


@pytest.fixture
def api():
    return Client()


def _bearer(person):
    _, raw = do_create_api_token(name="test", scope="write", acting=person)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def hidden(new_case, alice, bob, carol, dave):
    """Triaged, with a CVE id, restricted to bob (and alice, who restricted it):
    carol (a member) and dave (a moderator) are left out."""
    case = new_case(subject="ACL bypass in virDomainMigratePerform3")
    triage.do_record_triage(case, security_issue=True, reasoning="x", cvss3=CVSS, acting=alice)
    do_assign_cve(case, cve_id="CVE-2026-4242", acting=alice)
    do_restrict_case(case, emails=[bob.email], acting=alice)
    return case


def _ask(api, auth, method, path, body=None):
    if method == "GET":
        return api.get(path, **auth)
    return api.post(path, json.dumps(body or {}), content_type="application/json", **auth)


def _same(hidden_answer, missing_answer, hidden_id, missing_id):
    """Equal but for the id that was asked for."""
    assert hidden_answer.status_code == missing_answer.status_code
    shown = hidden_answer.content.decode().replace(f"#{hidden_id}", "#N")
    assert shown == missing_answer.content.decode().replace(f"#{missing_id}", "#N")


CASE_STEPS = [
    ("GET", "", None),
    ("POST", "/validate", {}),
    ("POST", "/close", {"reason": "x"}),
    ("POST", "/duplicate", {"of": 1}),
    ("POST", "/cve", {"cve_id": "CVE-2026-5555"}),
    ("POST", "/restriction", {"members": []}),
    ("POST", "/embargo/propose", {"days": 5}),
]


@pytest.mark.parametrize(("method", "step", "body"), CASE_STEPS)
def test_a_hidden_case_is_refused_as_a_missing_one(api, hidden, carol, method, step, body):
    auth = _bearer(carol)
    on_hidden = _ask(api, auth, method, f"/api/v1/cases/libvirt/{hidden.number}{step}", body)
    on_missing = _ask(api, auth, method, f"/api/v1/cases/libvirt/{MISSING}{step}", body)
    assert on_hidden.status_code == 404
    _same(on_hidden, on_missing, hidden.number, MISSING)


def test_a_duplicate_of_a_hidden_case_is_refused_as_one_of_a_missing_case(
    api, hidden, new_case, carol
):
    mine = new_case()
    auth = _bearer(carol)
    path = f"/api/v1/cases/libvirt/{mine.number}/duplicate"
    of_hidden = _ask(api, auth, "POST", path, {"of": hidden.number})
    of_missing = _ask(api, auth, "POST", path, {"of": f"libvirt#{MISSING}"})
    assert of_hidden.status_code == 400
    _same(of_hidden, of_missing, hidden.number, MISSING)
    assert "cannot" not in of_hidden.json()["detail"]
    mine.refresh_from_db()
    assert mine.state == "accepted" and mine.duplicate_of is None


def test_a_cve_id_of_a_hidden_case_is_refused_without_naming_the_case(
    api, hidden, new_case, bob, carol
):
    mine = new_case()
    triage.do_record_triage(mine, security_issue=True, reasoning="x", cvss3=CVSS, acting=bob)
    path = f"/api/v1/cases/{mine.project.slug}/{mine.number}/cve"

    refused = _ask(api, _bearer(carol), "POST", path, {"cve_id": "CVE-2026-4242"})
    told = _ask(api, _bearer(bob), "POST", path, {"cve_id": "CVE-2026-4242"})

    assert refused.status_code == told.status_code == 400
    assert refused.json()["detail"] == "CVE: CVE-2026-4242 is already assigned"
    assert (
        told.json()["detail"] == f"CVE: CVE-2026-4242 is already assigned (case {hidden.reference})"
    )


def test_held_mail_into_a_hidden_case_is_not_listed_and_not_decided_by_a_moderator_left_out(
    api, hidden, alice, dave
):
    row = into(hidden)
    auth = _bearer(dave)

    listed = api.get("/api/v1/moderation", **auth).json()
    on_hidden = _ask(api, auth, "POST", f"/api/v1/moderation/{row.pk}/approve")
    on_missing = _ask(api, auth, "POST", f"/api/v1/moderation/{MISSING}/approve")

    assert SUBJECT not in json.dumps(listed)
    assert on_hidden.status_code == 404
    _same(on_hidden, on_missing, row.pk, MISSING)
    row.refresh_from_db()
    assert row.state == Inbound.HELD
    admitted = api.get("/api/v1/moderation", **_bearer(alice)).json()
    assert [held["id"] for held in admitted["results"]] == [row.pk]


def test_a_duplicate_names_its_original_only_to_those_who_may_see_it(
    api, new_case, alice, bob, carol
):
    original, duplicate = new_case(), new_case()
    reports.do_mark_duplicate(duplicate, of=original, acting=alice)
    do_restrict_case(original, emails=[bob.email], acting=alice)

    path = f"/api/v1/cases/libvirt/{duplicate.number}"
    theirs = api.get(path, **_bearer(carol)).json()
    admitted = api.get(path, **_bearer(bob)).json()

    assert theirs["duplicate_of"] is None and admitted["duplicate_of"] == original.reference


def test_a_search_finds_a_hidden_case_only_for_those_who_may_see_it(api, hidden, bob, carol):
    terms = ("virDomainMigratePerform3", "finder@research.example", "CVE-2026-4242")
    for term in (*terms, hidden.reference):
        theirs = api.get("/api/v1/cases", {"q": term}, **_bearer(carol)).json()
        admitted = api.get("/api/v1/cases", {"q": term}, **_bearer(bob)).json()
        assert theirs == {"results": [], "next": None, "previous": None}, term
        assert [c["reference"] for c in admitted["results"]] == [hidden.reference], term
