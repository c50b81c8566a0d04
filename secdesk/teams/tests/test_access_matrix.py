"""The access matrix: every route the application serves × every persona →
allowed, or refused (403/404, or 302 to the login page). The routes come from
the URL configuration, so a new view without an access decision, or one missing
from EXPECT, fails this suite (issue 4, acceptance B).

Besides the status, every page a persona may open is checked for the title of
the embargoed case: it appears for exactly the people who may see the case.
"""

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import path

from secdesk.cases.actions import reports
from secdesk.cases.actions.restriction import do_restrict_case
from secdesk.teams import joining
from secdesk.teams.tokens import do_create_api_token
from secdesk.web.routes import routes, undecided
from secdesk.web.tests.conftest import pass_second_factor

PERSONAS = (
    "admin",
    "moderator",
    "member",
    "restricted_out",
    "removed",
    "applicant",
    "reporter",
    "other_reporter",
    "anonymous",
)
LOGGED_IN = ("admin", "moderator", "member", "restricted_out", "removed", "applicant")
TITLE = "ACL bypass in virDomainMigratePerform3"


def _all(status):
    return dict.fromkeys(PERSONAS, status)


def _logged_in(status, **others):
    return {**dict.fromkeys(PERSONAS, 302), **dict.fromkeys(LOGGED_IN, status), **others}


TEAM = dict(admin=200, moderator=200, member=200, restricted_out=200, removed=404, applicant=404)
ADMIN_ONLY = dict(
    admin=302, moderator=403, member=403, restricted_out=403, removed=404, applicant=404
)
API_TOKEN = dict.fromkeys(PERSONAS, 401)

# pattern → (method, {persona: status})
EXPECT = {
    "": ("GET", _logged_in(200)),
    "cases/<int:case_id>/": ("GET", _logged_in(404, admin=200, member=200)),
    "login/": ("GET", _logged_in(302, reporter=200, other_reporter=200, anonymous=200)),
    "login/once/<str:token>/": ("GET", _all(404)),
    "logout/": ("POST", _all(302)),
    "account/second-factor/": ("GET", _logged_in(200)),
    "account/tokens/": ("GET", _logged_in(200)),
    "account/tokens/<str:prefix>/revoke/": ("POST", _logged_in(302)),
    "join/<slug:slug>/": ("GET", _all(200)),
    "projects/<slug:slug>/team/": ("GET", _logged_in(200, **TEAM)),
    "projects/<slug:slug>/team/vouch/": ("POST", _logged_in(302, removed=404, applicant=404)),
    "projects/<slug:slug>/team/approve/": ("POST", _logged_in(302, **ADMIN_ONLY)),
    "projects/<slug:slug>/team/reject/": ("POST", _logged_in(302, **ADMIN_ONLY)),
    "projects/<slug:slug>/team/remove/": ("POST", _logged_in(302, **ADMIN_ONLY)),
    "projects/<slug:slug>/team/role/": ("POST", _logged_in(302, **ADMIN_ONLY)),
    "projects/<slug:slug>/policy/": ("GET", _logged_in(200, removed=404, applicant=404)),
    "audit/": ("GET", _logged_in(200)),
    "r/<str:token>/": ("GET", {**_all(404), "reporter": 200, "other_reporter": 200}),
    "api/v1/openapi.json": ("GET", _all(200)),
    "api/v1/": ("GET", _all(404)),
    "api/v1/me": (
        "GET",
        {
            **API_TOKEN,
            "admin": 200,
            "moderator": 200,
            "member": 200,
            "restricted_out": 200,
            "applicant": 200,
        },
    ),
    "api/v1/cases": (
        "GET",
        {
            **API_TOKEN,
            "admin": 200,
            "moderator": 200,
            "member": 200,
            "restricted_out": 200,
            "applicant": 200,
        },
    ),
    "api/v1/cases/<case_id>": (
        "GET",
        {
            **API_TOKEN,
            "admin": 200,
            "moderator": 404,
            "member": 200,
            "restricted_out": 404,
            "applicant": 404,
        },
    ),
}

# Who may read the embargoed case's title on any page.
MAY_SEE = {"admin", "member", "reporter"}

POST_DATA = {"email": "root@example.org", "role": "member", "reason": "matrix"}


@pytest.fixture
def world(project, root, alice, bob, carol, dave):
    from secdesk.teams.actions import do_accept_policy, do_add_member

    erin = do_add_member(project, email="erin@former.example", acting=alice).person
    do_accept_policy(project, acting=erin)
    frank_request = joining.do_request_membership(
        project, email="frank@applicant.example", organisation="Applicant Inc", statement="please"
    )
    frank = frank_request.person
    frank.user = User.objects.create_user(username=frank.email, email=frank.email)
    frank.save()

    case = reports.do_receive_report(
        project, reporter_email="rita@reporter.example", subject=TITLE, body="details", acting=None
    )
    reports.do_validate_report(case, acting=alice)
    reports.do_accept_report(case, acting=alice)
    do_restrict_case(case, emails=[bob.email], acting=alice)
    other = reports.do_receive_report(
        project,
        reporter_email="otto@other.example",
        subject="Another report",
        body="x",
        acting=None,
    )

    people = {
        "admin": alice,
        "moderator": dave,
        "member": bob,
        "restricted_out": carol,
        "removed": erin,
        "applicant": frank,
    }
    tokens = {
        name: do_create_api_token(name="matrix", acting=person)[1]
        for name, person in people.items()
    }
    joining.do_remove_member(project, email=erin.email, reason="left", acting=alice)
    erin.refresh_from_db()
    return {"case": case, "other": other, "people": people, "tokens": tokens}


def _client(world, persona):
    client = Client()
    person = world["people"].get(persona)
    if person is not None:
        client.force_login(person.user)
        pass_second_factor(client, person.user)
    return client


def _url(pattern, world, persona):
    case, other = world["case"], world["other"]
    own_token = {"reporter": case.token, "other_reporter": other.token}.get(persona, "0" * 32)
    values = {
        "<int:case_id>": str(case.pk),
        "<case_id>": str(case.pk),
        "<slug:slug>": "libvirt",
        "<str:prefix>": "sdk_unknown",
    }
    url = "/" + pattern
    if pattern.startswith("login/once/"):
        url = url.replace("<str:token>", "no-such-link")
    url = url.replace("<str:token>", own_token)
    for key, value in values.items():
        url = url.replace(key, value)
    return url


def test_every_route_has_an_access_decision_and_an_expectation(db):
    assert undecided() == []
    assert {r.pattern for r in routes()} == set(EXPECT)


@pytest.mark.parametrize("pattern", sorted(EXPECT))
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_exactly_what_the_matrix_allows(world, persona, pattern):
    method, expected = EXPECT[pattern]
    client = _client(world, persona)
    url = _url(pattern, world, persona)
    headers = {}
    if pattern.startswith("api/v1/") and persona in world["tokens"]:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world['tokens'][persona]}"
    if method == "POST":
        response = client.post(url, POST_DATA, **headers)
    else:
        response = client.get(url, **headers)
    assert response.status_code == expected[persona], (persona, url)
    anonymous = persona not in LOGGED_IN
    if response.status_code == 302 and anonymous and not pattern.startswith(("logout", "login")):
        assert response["Location"].startswith("/login/")
    body = response.content.decode(errors="replace")
    if TITLE in body:
        assert persona in MAY_SEE, f"{persona} read the embargoed title at {url}"


def _undecided_view(request):
    from django.http import HttpResponse

    return HttpResponse("no decision")


urlpatterns = [path("new/", _undecided_view, name="new")]


@override_settings(ROOT_URLCONF=__name__)
def test_a_view_without_an_access_decision_fails_the_matrix(db):
    assert [r.pattern for r in undecided(__name__)] == ["new/"]
