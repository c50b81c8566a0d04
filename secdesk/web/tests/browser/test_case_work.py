"""What a security team does in the browser, in the order a case lives: a
moderator approves a held report, members reply, one proposes an embargo and
another accepts it, the countdown runs, and the advisory is published.

The tests share one server, so later ones build on what earlier ones did.
"""

import re
import smtplib
from email.message import EmailMessage

from playwright.sync_api import expect

from .conftest import ALICE, BOB, CAROL

MAILED_SUBJECT = "Use-after-free when a migration is cancelled"


def test_a_report_from_a_stranger_is_held_for_moderation(server, desks):
    mail = EmailMessage()
    mail["From"] = "Quinn Finder <quinn@lab.example>"
    mail["To"] = "security@example.org"
    mail["Subject"] = MAILED_SUBJECT
    mail["Message-ID"] = "<report-1@lab.example>"
    mail.set_content("Cancel a migration while the job is being set up; a reproducer follows.")
    with smtplib.SMTP(*server.smtp) as smtp:
        smtp.send_message(mail)

    page = desks(ALICE).open("/moderation/")
    held = page.get_by_role("article").filter(has=page.get_by_role("heading", name=MAILED_SUBJECT))
    expect(held).to_contain_text("quinn@lab.example")
    expect(held.get_by_role("button", name="Approve")).to_be_visible()
    desks(ALICE).shoot("moderation")


def test_moderation_queue_lists_the_demos_held_report(desks):
    page = desks(ALICE).open("/moderation/")
    expect(
        page.get_by_role("heading", name="Heap overflow parsing crafted disk image header")
    ).to_be_visible()


def test_moderator_approves_a_held_report_in_one_click(desks):
    desk = desks(ALICE)
    page = desk.open("/moderation/")
    held = page.get_by_role("article").filter(has=page.get_by_role("heading", name=MAILED_SUBJECT))
    held.get_by_role("button", name="Approve").click()
    # htmx swaps the held report for its outcome, in place.
    outcome = page.get_by_role("status").filter(has_text=MAILED_SUBJECT)
    expect(outcome).to_contain_text("approved")
    desk.check_inline_scripts()
    outcome.get_by_role("link", name=re.compile(r"^Open example#\d+$")).click()
    expect(page.get_by_role("heading", name=MAILED_SUBJECT, level=1)).to_be_visible()


def _case(desk, title):
    page = desk.open("/")
    page.get_by_role("link", name=title, exact=True).first.click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    return page


def test_member_replies_on_a_case(desks):
    page = _case(desks(BOB), "ACL check skipped for domain migration API")
    page.get_by_label("Reply").fill("Confirmed on 11.2; a fix for the stable branch is coming.")
    page.get_by_role("button", name="Post").click()
    thread = page.get_by_role("region", name="Thread")
    expect(thread).to_contain_text("Confirmed on 11.2; a fix for the stable branch is coming.")
    expect(thread).to_contain_text("Bob Byrne")


def test_embargo_proposed_by_one_member_is_accepted_by_another(desks):
    page = _case(desks(BOB), MAILED_SUBJECT)
    embargo = page.get_by_role("region", name="Embargo")
    embargo.get_by_text("Propose an embargo").click()
    embargo.get_by_label("Days from the clock's start").fill("10")
    embargo.get_by_role("button", name="Propose").click()
    expect(embargo).to_contain_text("embargo proposed")

    page = _case(desks(CAROL), MAILED_SUBJECT)
    embargo = page.get_by_role("region", name="Embargo")
    embargo.get_by_role("button", name="Accept").click()
    expect(embargo).to_contain_text("embargo active")


def test_countdown_shows_the_time_left_on_the_case_and_the_dashboard(desks):
    page = _case(desks(BOB), MAILED_SUBJECT)
    left = re.compile(r"^9 days 23 hours left$|^10 days left$")
    expect(page.get_by_role("region", name="Embargo").locator(".countdown")).to_have_text(left)
    desks(BOB).shoot("case")

    page = desks(BOB).open("/")
    line = page.get_by_role("listitem").filter(has_text=MAILED_SUBJECT)
    expect(line.locator(".countdown")).to_have_text(left)


def test_publishing_ends_the_embargo_and_the_advisory_is_public(desks, public):
    title = "ACL check skipped for domain migration API"
    page = _case(desks(BOB), title)
    publication = page.get_by_role("region", name="Publication")
    publication.get_by_label("End the embargo now").check()
    publication.get_by_role("button", name="Publish the advisory").click()
    expect(page.get_by_role("region", name="Embargo")).to_contain_text("embargo exited")
    # The worker carries the publication out on its next tick; the panel follows it.
    expect(page.get_by_role("region", name="Publication")).to_contain_text(
        "Published", timeout=30_000
    )

    page = public.open("/advisories/")
    page.get_by_role("row").filter(has_text=title).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page.get_by_text("CVE-2026-41001").first).to_be_visible()


def test_the_advisory_preview_loads_when_its_panel_is_shown(desks):
    page = _case(desks(BOB), "ACL check skipped for domain migration API")
    page.locator("#advisory").scroll_into_view_if_needed()
    preview = page.locator("#advisory-preview pre")
    expect(preview).to_contain_text("CVE-2026-41001")
    page.locator("#advisory-preview").get_by_role("link", name="OSV").click()
    expect(page.locator("#advisory-preview pre")).to_contain_text('"schema_version"')
