"""The access matrix: every route the application serves × every persona →
allowed, or refused (403/404, or 302 to the login page). The routes come from
the URL configuration, so a new view without an access decision, or one missing
from EXPECT, fails this suite (issue 4, acceptance B).

Besides the status, every page a persona may open is checked for the title of
the embargoed case: it appears for exactly the people who may see the case.
"""

import json
import re

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client, override_settings
from django.urls import path

from secdesk.cases.actions import reports
from secdesk.cases.actions.restriction import do_restrict_case
from secdesk.cases.capabilities import reporter_link_token
from secdesk.conftest import join, make_cast, world_per_module
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
    "cases/<case:ref>/": ("GET", _logged_in(404, admin=200, member=200)),
    # The case page's forms: POST_DATA lacks what each step needs, so those who
    # see the case are refused with the reason on the page (400); admin steps
    # are 403 for a member.
    **{
        f"cases/<case:ref>/{step}/": ("POST", _logged_in(404, admin=400, member=400))
        for step in (
            "move",
            "reply",
            "triage",
            "embargo",
            "facts",
            "cve",
            "fixes",
            "publish",
            "amend",
        )
    },
    "cases/<case:ref>/advisory/": ("POST", _logged_in(404, admin=302, member=302)),
    "cases/<case:ref>/advisory/preview/": ("GET", _logged_in(404, admin=200, member=200)),
    "cases/<case:ref>/publication/": ("GET", _logged_in(404, admin=200, member=200)),
    "cases/<case:ref>/restriction/": ("POST", _logged_in(404, admin=302, member=403)),
    "cases/<case:ref>/reporter-link/": ("POST", _logged_in(404, admin=302, member=403)),
    "login/": ("GET", _logged_in(302, reporter=200, other_reporter=200, anonymous=200)),
    "login/once/<str:token>/": ("GET", _all(404)),
    "logout/": ("POST", _all(302)),
    "account/second-factor/": ("GET", _logged_in(200)),
    # Logging in another way, and getting back in: open to all, and a reset link
    # that is not one answers as a used one.
    "login/reset/": ("GET", _all(200)),
    "login/reset/<str:token>/": ("GET", _all(410)),
    "login/passkey/options/": ("POST", _all(200)),
    # No options were asked for first: no challenge to answer.
    "login/passkey/": ("POST", _all(400)),
    "account/": ("GET", _logged_in(200)),
    # POST_DATA has no new password: the form again, with the reason.
    "account/password/": ("POST", _logged_in(200)),
    "account/recovery-codes/": ("POST", _logged_in(200)),
    "account/passkeys/options/": ("POST", _logged_in(200)),
    "account/passkeys/": ("POST", _logged_in(400)),
    # Someone else's passkey (or none): refused on the account page.
    "account/passkeys/<int:pk>/rename/": ("POST", _logged_in(302)),
    "account/passkeys/<int:pk>/remove/": ("POST", _logged_in(302)),
    "account/second-factor/recovery/": ("POST", _logged_in(200)),
    "account/second-factor/passkey/options/": ("POST", _logged_in(200)),
    "account/second-factor/passkey/": ("POST", _logged_in(400)),
    # A site administrator's page; no persona here is one.
    "people/reset-factors/": ("GET", _logged_in(403)),
    "account/tokens/": ("GET", _logged_in(200)),
    "account/tokens/<str:prefix>/revoke/": ("POST", _logged_in(302)),
    "account/keys/": ("GET", _logged_in(200)),
    "account/keys/<str:fingerprint>/remove/": ("POST", _logged_in(302)),
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
    "moderation/": ("GET", _logged_in(200)),
    # No held mail by this id in any project: a moderator and a stranger alike get 404.
    "moderation/<int:held_id>/approve/": ("POST", _logged_in(404)),
    "moderation/<int:held_id>/reject/": ("POST", _logged_in(404)),
    "moderation/<int:held_id>/spam/": ("POST", _logged_in(404)),
    "moderation/quarantine/<int:held_id>/": ("GET", _logged_in(404)),
    "moderation/quarantine/<int:held_id>/release/": ("POST", _logged_in(404)),
    "report/<slug:slug>/": ("GET", _all(200)),
    "calendar/": ("GET", _logged_in(200)),
    "calendar/feed/": ("POST", _logged_in(200, removed=403, applicant=403)),
    "calendar/feed/revoke/": ("POST", _logged_in(302)),
    "calendar/<str:token>.ics": ("GET", _all(404)),
    "projects/<slug:slug>/settings/": (
        "GET",
        _logged_in(403, admin=200, removed=404, applicant=404),
    ),
    "advisories/": ("GET", _all(200)),
    "advisories/feed.atom": ("GET", _all(200)),
    # The embargoed case's advisory, by the id it would have: nobody finds it.
    "advisories/<advisory:advisory_id>/": ("GET", _all(404)),
    "advisories/<advisory:advisory_id>.txt": ("GET", _all(404)),
    "advisories/<advisory:advisory_id>.osv.json": ("GET", _all(404)),
    "advisories/<advisory:advisory_id>.csaf.json": ("GET", _all(404)),
    "advisories/<advisory:advisory_id>/<cve:cve_id>.json": ("GET", _all(404)),
    "advisories/<advisory:advisory_id>/<cve:cve_id>.record.json": ("GET", _all(404)),
    "security/": ("GET", _all(200)),
    "security/<slug:slug>/": ("GET", _all(200)),
    "security/<slug:slug>/security.txt": ("GET", _all(200)),
    "security/<slug:slug>/security-issues.md": ("GET", _all(200)),
    "security/<slug:slug>/openpgp.asc": ("GET", _all(404)),
    ".well-known/security.txt": ("GET", _all(200)),
    ".well-known/csaf/provider-metadata.json": ("GET", _all(200)),
    ".well-known/csaf/white/csaf-feed-tlp-white.json": ("GET", _all(200)),
    # The embargoed case's CSAF document, by the name it would have.
    ".well-known/csaf/white/<int:year>/<csaf:name>.json": ("GET", _all(404)),
    ".well-known/csaf/white/<int:year>/<csaf:name>.json.sha256": ("GET", _all(404)),
    ".well-known/csaf/white/<int:year>/<csaf:name>.json.sha512": ("GET", _all(404)),
    "api/v1/openapi.json": ("GET", _all(200)),
    "api/v1/": ("GET", _all(404)),
}

# The REST API: a token persona is one with a live (write-scoped) token; the
# removed member's was revoked with the removal.
TOKEN = ("admin", "moderator", "member", "restricted_out", "applicant")
TEAM_TOKEN = ("admin", "moderator", "member", "restricted_out")
SEES_CASE = ("admin", "member")
ACTS = {200, 202, 400, 403}  # done or queued, or refused by the process's rules or the role


def _api(*layers):
    """Statuses per persona: 401 unless a later layer (a dict) says otherwise."""
    merged = dict.fromkeys(PERSONAS, 401)
    for layer in layers:
        merged.update(layer)
    return merged


CASE_ACTIONS = {
    "hold": {},
    "validate": {},
    "invalidate": {"reason": "x"},
    "accept": {},
    "defer": {"reason": "x"},
    "close": {"reason": "x"},
    "duplicate": {"of": 1},
    "triage": {
        "security_issue": True,
        "reasoning": "x",
        "cvss3": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    },
    "facts": {"fact": "vendor-aware"},
    "fix-faulty": {"reason": "x"},
    "cve": {"cve_id": "CVE-2026-9999"},
    "fixes": {"branch": "master", "commit": "abcdef1"},
    "messages": {"body": "a note", "internal": True},
    "restriction": {"members": []},
    "publish": {},
    "amend": {"reason": "x"},
    "embargo/propose": {"days": 5},
    "embargo/accept": {},
    "embargo/reject": {"reason": "x"},
    "embargo/agree": {},
    "embargo/object": {"reason": "x"},
    "embargo/restart": {},
    "embargo/end": {"reason": "x"},
}
API = {
    "api/v1/me": ("GET", None, _api(dict.fromkeys(TOKEN, 200))),
    "api/v1/cases": ("GET", None, _api(dict.fromkeys(TOKEN, 200))),
    "api/v1/me/keys": ("GET", None, _api(dict.fromkeys(TOKEN, 200))),
    # Not a key: refused as bad input, for whoever holds a token.
    "api/v1/me/keys POST": ("POST", {"armoured": "x"}, _api(dict.fromkeys(TOKEN, 400))),
    "api/v1/me/keys/<fingerprint> DELETE": ("DELETE", None, _api(dict.fromkeys(TOKEN, 404))),
    "api/v1/moderation": ("GET", None, _api(dict.fromkeys(TOKEN, 200))),
    "api/v1/cases/<project>/<number>": (
        "GET",
        None,
        _api(dict.fromkeys(TOKEN, 404), dict.fromkeys(SEES_CASE, 200)),
    ),
    # Not being published: the same 404 for those who see the case and those who do not.
    "api/v1/cases/<project>/<number>/publication": ("GET", None, _api(dict.fromkeys(TOKEN, 404))),
    "api/v1/projects/<slug>/policy": (
        "GET",
        None,
        _api(dict.fromkeys(TEAM_TOKEN, 200), {"applicant": 403}),
    ),
    "api/v1/projects/<slug>/members": (
        "GET",
        None,
        _api(dict.fromkeys(TEAM_TOKEN, 200), {"applicant": 403}),
    ),
    "api/v1/projects/<slug>/policy PATCH": (
        "PATCH",
        {"changes": {"max_embargo_days": "21"}},
        _api(dict.fromkeys(TOKEN, 403), {"admin": 200}),
    ),
    "api/v1/projects/<slug>/vouches": (
        "POST",
        {"email": "frank@applicant.example"},
        _api(dict.fromkeys(TEAM_TOKEN, 200), {"applicant": 403}),
    ),
    "api/v1/projects/<slug>/approvals": (
        "POST",
        {"email": "frank@applicant.example"},
        _api(dict.fromkeys(TOKEN, 403), {"admin": 400}),
    ),
    "api/v1/projects/<slug>/removals": (
        "POST",
        {"email": "root@example.org", "reason": "x"},
        _api(dict.fromkeys(TOKEN, 403), {"admin": 200}),
    ),
    "api/v1/projects/<slug>/consent": (
        "POST",
        None,
        _api(dict.fromkeys(TEAM_TOKEN, 400), {"applicant": 403}),
    ),
    "api/v1/cases POST": (
        "POST",
        {"project": "libvirt", "reporter": "r@x.example", "subject": "s", "body": "b"},
        _api(dict.fromkeys(TEAM_TOKEN, 200), {"applicant": 403}),
    ),
    **{
        f"api/v1/cases/<project>/<number>/{action}": (
            "POST",
            body,
            _api(dict.fromkeys(TOKEN, 404), dict.fromkeys(SEES_CASE, ACTS)),
        )
        for action, body in CASE_ACTIONS.items()
    },
    **{
        f"api/v1/moderation/<held_id>/{action}": (
            "POST",
            {"reason": "x"} if action == "reject" else None,
            _api(dict.fromkeys(TOKEN, 404)),
        )
        for action in ("approve", "reject", "spam")
    },
}

# Who may read the embargoed case's title on any page.
MAY_SEE = {"admin", "member", "reporter"}

POST_DATA = {"email": "root@example.org", "role": "member", "reason": "matrix"}


def _build_world():
    cast = make_cast()
    project, alice, bob = cast.project, cast.alice, cast.bob
    erin = join(project, "erin@former.example", "member", alice)
    frank = joining.do_request_membership(
        project, email="frank@applicant.example", organisation="Applicant Inc", statement="please"
    ).person
    frank.user = User.objects.create_user(username=frank.email, email=frank.email)
    frank.save()

    case = reports.do_receive_report(
        project, reporter_email="rita@reporter.example", subject=TITLE, body="details", acting=None
    )
    reports.do_validate_report(case, acting=alice)
    reports.do_accept_report(case, acting=alice)
    do_restrict_case(case, emails=[bob.email], acting=alice)
    other = reports.do_receive_report(
        project, reporter_email="otto@other.example", subject="Other", body="x", acting=None
    )

    people = {
        "admin": alice,
        "moderator": cast.dave,
        "member": bob,
        "restricted_out": cast.carol,
        "removed": erin,
        "applicant": frank,
    }
    tokens = {
        name: do_create_api_token(name="matrix", scope="write", acting=person)[1]
        for name, person in people.items()
    }
    joining.do_remove_member(project, email=erin.email, reason="left", acting=alice)
    erin.refresh_from_db()
    with transaction.atomic():
        links = {
            "reporter": reporter_link_token(case),
            "other_reporter": reporter_link_token(other),
        }
    return {"case": case, "other": other, "people": people, "tokens": tokens, "links": links}


_world_built, world = world_per_module(_build_world)


def _client(world, persona):
    client = Client()
    person = world["people"].get(persona)
    if person is not None:
        client.force_login(person.user)
        pass_second_factor(client, person.user)
    return client


def _url(pattern, world, persona):
    case = world["case"]
    own_token = world["links"].get(persona, "0" * 32)
    values = {
        "<case:ref>": f"{case.project.slug}/{case.number}",
        "<project>/<number>": f"{case.project.slug}/{case.number}",
        "<slug:slug>": "libvirt",
        "<slug>": "libvirt",
        "<advisory:advisory_id>": f"DRAFT-{case.pk}",
        "<cve:cve_id>": "CVE-2026-9999",
        "<int:year>": "2026",
        "<csaf:name>": f"draft-{case.pk}",
        "<held_id>": "999999",
        "<int:held_id>": "999999",
        "<str:prefix>": "sdk_unknown",
        "<int:pk>": "999999",
        "<str:fingerprint>": "0" * 40,
        "<fingerprint>": "0" * 40,
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
    expected = set(EXPECT) | {key.split(" ")[0] for key in API}
    assert {r.pattern for r in routes()} == expected


def _each_persona(check):
    """Run `check(persona)` for every persona in one world, and report every
    persona that got the wrong answer at once.

    The admin goes last: theirs are the steps that change what others would
    meet (removing a member, lifting a restriction, changing the policy); what
    the others may do changes nothing another persona's answer depends on."""
    wrong = [
        problem
        for persona in sorted(PERSONAS, key=lambda p: p == "admin")
        if (problem := check(persona))
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("route", sorted(API))
def test_each_persona_gets_exactly_what_the_api_allows(world, route):
    method, body, expected = API[route]

    def check(persona):
        url = _url(route.split(" ")[0], world, persona)
        headers = {}
        if persona in world["tokens"]:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {world['tokens'][persona]}"
        client = Client()
        if method == "GET":
            response = client.get(url, **headers)
        else:
            response = client.generic(
                method, url, json.dumps(body or {}), content_type="application/json", **headers
            )
        allowed = expected[persona]
        allowed = allowed if isinstance(allowed, set) else {allowed}
        if response.status_code not in allowed:
            return f"{persona} {method} {url}: {response.status_code}, expected {allowed}"
        if not response["Content-Type"].startswith("application/json"):
            return f"{persona} {url}: not JSON"
        if TITLE in response.content.decode(errors="replace") and persona not in MAY_SEE:
            return f"{persona} read the embargoed title at {url}"
        return None

    _each_persona(check)


@pytest.mark.parametrize("pattern", sorted(EXPECT))
def test_each_persona_gets_exactly_what_the_matrix_allows(world, pattern):
    method, expected = EXPECT[pattern]

    def check(persona):
        client = _client(world, persona)
        url = _url(pattern, world, persona)
        response = client.post(url, POST_DATA) if method == "POST" else client.get(url)
        if response.status_code != expected[persona]:
            return f"{persona} {method} {url}: {response.status_code}, expected {expected[persona]}"
        anonymous = persona not in LOGGED_IN
        if (
            response.status_code == 302
            and anonymous
            and not pattern.startswith(("logout", "login"))
            and not response["Location"].startswith("/login/")
        ):
            return f"{persona} {url}: redirected to {response['Location']}, not the login page"
        if TITLE in response.content.decode(errors="replace") and persona not in MAY_SEE:
            return f"{persona} read the embargoed title at {url}"
        return None

    _each_persona(check)


def _undecided_view(request):
    from django.http import HttpResponse

    return HttpResponse("no decision")


urlpatterns = [path("new/", _undecided_view, name="new")]


@override_settings(ROOT_URLCONF=__name__)
def test_a_view_without_an_access_decision_fails_the_matrix(db):
    assert [r.pattern for r in undecided(__name__)] == ["new/"]


MISSING_CASE = 999999
LEFT_OUT = ("moderator", "restricted_out")


def _as_missing(response, number) -> tuple[int, str]:
    """Status and body, with what differs from one answer to the next (the
    CSRF token's mask) or names the id asked for taken out."""
    body = response.content.decode(errors="replace").replace(f"#{number}", "#N")
    return response.status_code, re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


@pytest.mark.parametrize(
    "pattern", sorted(p for p in [*EXPECT, *API] if "<case:ref>" in p or "<number>" in p)
)
def test_a_case_hidden_from_a_persona_answers_as_one_that_does_not_exist(world, pattern):
    """Those the restriction leaves out (a member, a moderator) get, on every
    route of the case, exactly the answer for a case id that was never used."""
    api = pattern in API
    method, body = (API[pattern][0], API[pattern][1]) if api else (EXPECT[pattern][0], POST_DATA)
    case = world["case"]

    def check(persona):
        if persona not in LEFT_OUT:
            return None
        answers = []
        for number in (case.number, MISSING_CASE):
            url = "/" + pattern.split(" ")[0].replace("<case:ref>", f"libvirt/{number}")
            url = url.replace("<project>/<number>", f"libvirt/{number}")
            if api:
                auth = {"HTTP_AUTHORIZATION": f"Bearer {world['tokens'][persona]}"}
                response = Client().generic(
                    method, url, json.dumps(body or {}), content_type="application/json", **auth
                )
            else:
                client = _client(world, persona)
                response = client.post(url, body) if method == "POST" else client.get(url)
            answers.append(_as_missing(response, number))
        if answers[0] != answers[1]:
            return f"{persona} {method} {pattern}: {answers[0]} for the hidden case, {answers[1]}"
        return None

    _each_persona(check)
