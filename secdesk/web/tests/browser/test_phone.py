"""At phone width (375 px) nothing is cut off, and the case page opens on what
a member needs first: the state, the embargo countdown and the next step, the
other panels folded to a line each."""

from playwright.sync_api import expect

from .conftest import BOB, SCREENSHOTS

PHONE_SCREEN = {"width": 375, "height": 667}

# Each element of the page sticking out of the screen on the right, and each
# box whose content is wider than the box (a table column scrolled out of
# sight in its `overflow: auto` wrapper is cut off all the same).
OVERFLOW_PROBE = """() => {
  const width = document.documentElement.clientWidth;
  const out = [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > width + 0.5
      || (getComputedStyle(e).overflowX !== "visible" && e.scrollWidth > e.clientWidth + 1))
    .map((e) => e.outerHTML.slice(0, 100));
  return {scroll: document.documentElement.scrollWidth, width, out: out.slice(-3)};
}"""


def _at_phone_width(desk, path, name):
    """The page opened on a phone-sized screen, its first screen and the whole
    page photographed, and nothing wider than the screen."""
    page = desk.page
    page.set_viewport_size(PHONE_SCREEN)
    try:
        desk.open(path)
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{name}-375-first-screen.png")
        page.screenshot(path=SCREENSHOTS / f"{name}-375.png", full_page=True)
        wide = page.evaluate(OVERFLOW_PROBE)
        assert wide["scroll"] <= wide["width"] and not wide["out"], f"{name}: {wide}"
        height = page.evaluate("() => document.documentElement.scrollHeight")
        return page, height
    except BaseException:
        page.set_viewport_size({"width": 1280, "height": 800})
        raise


def _on_first_screen(page, locator):
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box["y"] + box["height"] <= PHONE_SCREEN["height"], f"{locator} is below the fold"


def test_the_case_page_opens_on_state_countdown_and_next_step_at_phone_width(desks):
    desk = desks(BOB)
    page = desk.open("/")
    # The demo's case whose embargo no other test changes.
    link = page.get_by_role("link", name="Path traversal in storage pool upload").first
    # Without the panel a "Needs me" link names: the page as it opens.
    path = link.get_attribute("href").split("#")[0]
    try:
        page, height = _at_phone_width(desk, path, "case")
        glance = page.locator(".case-glance")
        _on_first_screen(page, glance.locator(".badge-state-accepted"))
        _on_first_screen(page, glance.locator(".countdown"))
        _on_first_screen(page, glance.locator(".next-step"))
        # Folded: the panels show one line each until opened.
        embargo = page.locator("#embargo details.fold")
        expect(embargo).not_to_have_attribute("open", "")
        expect(page.locator("#thread details.fold .fold-line")).to_have_text("1 message")
        assert height < 3000, f"the case page is {height} px long at phone width"
        page.locator("#embargo details.fold > summary").click()
        expect(embargo).to_have_attribute("open", "")
        expect(embargo.get_by_text("Restarts", exact=True)).to_be_visible()
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})


def test_the_advisory_page_fits_a_phone_with_its_fix_commits(desks, public):
    page = public.open("/advisories/")
    row = page.get_by_role("row").filter(has_text="Host paths disclosed")
    path = row.get_by_role("link").first.get_attribute("href")
    page, _ = _at_phone_width(public, path, "advisory")
    commit = page.locator("td.commits code").first
    expect(commit).to_be_visible()
    box = commit.bounding_box()
    assert box["x"] + box["width"] <= PHONE_SCREEN["width"]
