"""Acceptance C of issue #7 on pages the other tests do not open; every test's
pages are also checked after it (conftest.csp_kept)."""

from playwright.sync_api import expect

from .conftest import ALICE

MEMBER_PAGES = [
    "/",
    "/cases/example/2/",
    "/cases/example/4/",
    "/moderation/",
    "/calendar/",
    "/projects/example/team/",
    "/projects/example/policy/",
    "/audit/",
    "/account/tokens/",
]
PUBLIC_PAGES = [
    "/login/",
    "/advisories/",
    "/security/",
    "/security/example/",
    "/report/example/",
]


def test_member_pages_keep_the_content_security_policy(desks):
    desk = desks(ALICE)
    for path in MEMBER_PAGES:
        desk.open(path)
    assert {url.removeprefix(desk.server.url) for url, *_ in desk.responses} >= set(MEMBER_PAGES)


def test_public_pages_keep_the_content_security_policy(public):
    for path in PUBLIC_PAGES:
        public.open(path)
    expect(public.page.get_by_role("heading", level=1)).to_be_visible()


def test_static_files_carry_the_csp_header(public):
    public.open("/login/")
    static = [(url, headers) for url, _, headers in public.responses if "/static/" in url]
    assert static, "the login page loads the stylesheet and scripts"
    assert all("content-security-policy" in headers for _, headers in static)
