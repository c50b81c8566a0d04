"""Capabilities in paths never reach the log: what secdesk's log handler writes
for a refused request to the reporter's page, a login link or a calendar feed
names the route, not the token."""

import io
import logging

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from secdesk.teams.login_links import issue_login_link
from secdesk.web.log_redaction import REDACTED, redact

TOKEN = "Zq8-reporter-capability-0123456789abcdefghij"


@pytest.fixture
def logged():
    """All that the log handlers of secdesk's settings write, while the test runs."""
    handlers = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    assert handlers, "secdesk's logging writes through a handler of the root logger"
    text = io.StringIO()
    # Not `setStream`: it flushes the stream it replaces, and the handler may
    # still hold a stream that an earlier test's output capture has closed.
    before = [handler.stream for handler in handlers]
    for handler in handlers:
        handler.stream = text
    yield text
    for handler, stream in zip(handlers, before, strict=True):
        handler.stream = stream


@pytest.mark.parametrize(
    ("path", "shown"),
    [(f"/r/{TOKEN}/", f"/r/{REDACTED}/"), (f"/calendar/{TOKEN}.ics", f"/calendar/{REDACTED}.ics")],
)
def test_a_refused_post_to_the_reporter_page_or_a_feed_logs_no_token(db, logged, path, shown):
    answer = Client(enforce_csrf_checks=True).post(path, {"body": "hello"})
    assert answer.status_code == 403
    assert shown in logged.getvalue()
    assert TOKEN not in logged.getvalue()


def test_a_refused_post_to_a_login_link_logs_no_token(bob, logged):
    link = issue_login_link(bob.user)
    token = link.rstrip("/").rpartition("/")[2]
    answer = Client(enforce_csrf_checks=True).post(link)
    assert answer.status_code == 403
    assert f"/login/once/{REDACTED}/" in logged.getvalue()
    assert token not in logged.getvalue()


def test_an_error_on_a_capability_path_logs_no_token_in_message_or_traceback(logged):
    try:
        raise LookupError(f"nothing at /calendar/{TOKEN}.ics")
    except LookupError:
        logging.getLogger("django.request").exception(
            "Internal Server Error: %s", f"/calendar/{TOKEN}.ics"
        )
    assert f"/calendar/{REDACTED}.ics" in logged.getvalue()
    assert TOKEN not in logged.getvalue()


@pytest.mark.parametrize(
    "path",
    [
        "/report/libvirt/",
        "/calendar/feed/",
        "/cases/12/reporter-link/",
        "/advisories/LIBVIRT-SA-2026-0001/",
    ],
)
def test_paths_without_a_capability_are_left_as_they_are(path):
    assert redact(f"Forbidden (CSRF cookie not set.): {path}") == (
        f"Forbidden (CSRF cookie not set.): {path}"
    )


def _routes(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry, prefix + str(entry.pattern)


def test_every_route_with_a_token_in_its_path_is_redacted():
    """A new capability route names its part <str:token>: forgotten here, it fails."""
    with_token = [(e, route) for e, route in _routes(get_resolver().url_patterns) if "<" in route]
    with_token = [(e, route) for e, route in with_token if "token>" in route]
    assert with_token, "the reporter page, login links and calendar feeds have routes"
    for entry, route in with_token:
        path = reverse(entry.name, kwargs={"token": TOKEN})
        assert TOKEN not in redact(f"GET {path} 200"), route


def _capability_pages(bob, case):
    from django.contrib.auth.models import User

    from secdesk.accounts.reset import reset_link
    from secdesk.web.tests.test_reporter_page import link_of

    user = User.objects.create_user("forgot@example.org", password="a long phrase once chosen")
    forgot = type(bob).objects.create(email="forgot@example.org", user=user)
    return {
        "reset": reset_link(forgot).removeprefix("http://127.0.0.1:8000"),
        "login link": issue_login_link(bob.user).removeprefix("http://127.0.0.1:8000"),
        "reporter": f"/r/{link_of(case)}/",
    }


def test_a_page_with_a_capability_in_its_path_sends_no_path_as_referer_to_its_own_files(
    client, bob, case
):
    # Its styles and scripts would carry the path as Referer into the access
    # log of the proxy in front, which its operator turned off for the page alone.
    for name, path in _capability_pages(bob, case).items():
        page = client.get(path)
        assert page.status_code == 200, name
        assert page["Referrer-Policy"] == "strict-origin", name
