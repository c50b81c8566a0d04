"""What anyone can read: the published advisories."""

from playwright.sync_api import expect

TITLE = "Host paths disclosed in error messages"


def _advisory(public):
    page = public.open("/advisories/")
    page.get_by_role("row").filter(has_text=TITLE).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    return page


def test_published_advisory_is_public(public):
    page = _advisory(public)
    expect(page.get_by_text("CVE-2026-41002").first).to_be_visible()
    expect(page.get_by_role("link", name="OSV")).to_be_visible()


def test_advisory_screenshots_fit_a_phone(public):
    _advisory(public)
    public.shoot("advisory")
