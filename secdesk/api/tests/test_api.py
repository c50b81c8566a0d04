"""The REST API acts as the token's person, with exactly their access."""

from base64 import b64decode
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from secdesk.audit.models import AuditEvent, AuditRecord
from secdesk.teams.tokens import do_create_api_token


@pytest.fixture
def api():
    return Client()


def _bearer(person):
    _, raw = do_create_api_token(name="test", acting=person)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_no_token_is_a_json_401(api, db):
    response = api.get("/api/v1/cases")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")


def test_a_member_lists_and_reads_their_cases_and_the_read_is_audited(api, new_case, bob):
    case = new_case()
    auth = _bearer(bob)
    listed = api.get("/api/v1/cases", **auth).json()
    assert [c["reference"] for c in listed["results"]] == [case.reference]
    assert listed["next"] is None
    detail = api.get(f"/api/v1/cases/{case.project.slug}/{case.number}", **auth).json()
    assert detail["embargo"]["state"] == "none"
    assert AuditRecord.objects.filter(
        event=AuditEvent.CASE_VIEWED, actor=bob, case_id=case.pk, details__via="api"
    ).exists()


def test_an_outsider_sees_no_case_and_gets_a_json_404(api, new_case, charlie):
    from django.contrib.auth.models import User

    case = new_case()
    charlie.user = User.objects.create_user(username=charlie.email)
    charlie.save()
    auth = _bearer(charlie)
    assert api.get("/api/v1/cases", **auth).json()["results"] == []
    missing = api.get(f"/api/v1/cases/{case.project.slug}/{case.number}", **auth)
    assert missing.status_code == 404
    assert missing.json() == {
        "detail": f"no case {case.reference} that you may see",
        "rule": "not found",
    }


def test_the_openapi_document_is_at_a_stable_url(api, db):
    document = api.get("/api/v1/openapi.json").json()
    assert document["info"]["title"] == "secdesk"
    assert "/api/v1/cases/{project}/{number}" in document["paths"]


def test_the_case_list_comes_a_page_at_a_time_newest_first(api, new_case, bob):
    made = [new_case(subject=f"Crash {n}") for n in range(5)]
    auth = _bearer(bob)
    seen, url = [], "/api/v1/cases?page_size=2"
    while url:
        page = api.get(url, **auth).json()
        assert len(page["results"]) <= 2
        seen += [c["reference"] for c in page["results"]]
        url = page["next"]
    assert seen == [case.reference for case in reversed(made)]
    found = api.get("/api/v1/cases", {"q": "Crash 3"}, **auth).json()["results"]
    assert [c["reference"] for c in found] == [made[3].reference]


def test_a_page_token_holds_the_time_of_a_case_shown_not_a_count_of_the_sites_cases(
    api, new_case, bob
):
    made = [new_case(subject=f"Crash {n}") for n in range(3)]
    page = api.get("/api/v1/cases?page_size=2", **_bearer(bob)).json()
    [cursor] = parse_qs(urlsplit(page["next"]).query)["cursor"]
    position = parse_qs(b64decode(cursor).decode())["p"]
    assert position == [str(made[0].received_at)]


def test_a_cursor_the_list_did_not_give_is_bad_input(api, new_case, bob):
    new_case()
    auth = _bearer(bob)
    for cursor in ("not base64!", "cD1ub3RhbnVtYmVy"):  # the second: "p=notanumber"
        response = api.get("/api/v1/cases", {"cursor": cursor}, **auth)
        assert response.status_code == 400
        assert response.json()["rule"] == "bad input"
