"""Logging in, and the dashboard a member starts from."""

import re

from playwright.sync_api import expect

from .conftest import BOB


def test_member_logs_in_with_a_one_time_link_and_the_second_factor(desks):
    page = desks(BOB).open("/")
    expect(page.get_by_role("heading", name="Cases", level=1)).to_be_visible()
    expect(page.get_by_text("Bob Byrne")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_first_administrator_logs_in_with_the_link_serve_printed(desks):
    page = desks(None).open("/")
    expect(page.get_by_role("heading", name="Cases", level=1)).to_be_visible()
    expect(page.get_by_text("admin@localhost")).to_be_visible()


def test_dashboard_counts_down_each_embargo_in_the_viewers_zone_with_utc_beside(desks):
    page = desks(BOB).open("/")
    # The demo's case whose embargo no other test changes.
    line = page.get_by_role("listitem").filter(has_text="Path traversal in storage pool upload")
    expect(line.locator(".countdown")).to_have_text(re.compile(r"^\d+ days?( \d+ hours?)? left$"))
    # Kolkata is UTC+5:30; times.js writes the local time with the UTC text after it.
    expect(line.locator(".embargo-end time.moment")).to_have_text(
        re.compile(r"GMT\+5:30.*\(.*UTC\)")
    )


def test_dashboard_screenshots(desks):
    desks(BOB).open("/").get_by_role("heading", name="Cases", level=1).wait_for()
    desks(BOB).shoot("dashboard")
