import re
from datetime import timedelta

import time_machine
from django.db import transaction

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.models import EmbargoProposal, EmbargoVote, Message
from secdesk.web.tests.conftest import NOW


def test_member_sees_the_case_with_its_embargo_end_in_utc(login_as, bob, case):
    with time_machine.travel(NOW, tick=False):
        response = login_as(bob).get(f"/cases/{case.project.slug}/{case.number}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert case.title in body
    assert f"{case.reference}" in body
    assert "Rita Reporter" in body
    assert (
        '<time class="moment" datetime="2026-03-11T14:00:00Z">Wed 2026-03-11 14:00 UTC</time>'
        in body
    )
    assert "9 days 4 hours left" in body
    assert "14 days by default, at most 30 days in total" in body
    assert "no-store" in response["Cache-Control"]


def test_outsider_gets_404_and_learns_nothing_about_the_case(login_as, charlie, case):
    response = login_as(charlie).get(f"/cases/{case.project.slug}/{case.number}/")
    assert response.status_code == 404
    assert case.title not in response.content.decode()


def without_csrf_token(content: bytes) -> bytes:
    # The logout form's token is masked afresh on every page.
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


def test_missing_case_and_hidden_case_look_the_same(login_as, charlie, case):
    client = login_as(charlie)
    hidden = client.get(f"/cases/{case.project.slug}/{case.number}/")
    missing = client.get(f"/cases/{case.project.slug}/{case.number + 1000}/")
    assert hidden.status_code == missing.status_code == 404
    assert without_csrf_token(hidden.content) == without_csrf_token(missing.content)


def test_internal_notes_are_marked_in_the_thread(login_as, bob, alice, case):
    Message.objects.create(
        case=case, author=case.reporter, body="Steps to reproduce: …", created_at=NOW
    )
    Message.objects.create(
        case=case, author=alice, body="Looks real to me.", internal=True, created_at=NOW
    )
    body = login_as(bob).get(f"/cases/{case.project.slug}/{case.number}/").content.decode()
    assert body.index("Steps to reproduce") < body.index("Looks real to me.")
    assert body.count("internal note, not sent to the reporter") == 1


def test_message_text_is_escaped(login_as, bob, case):
    Message.objects.create(
        case=case, author=case.reporter, body="<script>alert(1)</script>", created_at=NOW
    )
    body = login_as(bob).get(f"/cases/{case.project.slug}/{case.number}/").content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)" in body


def test_open_embargo_proposal_shows_its_votes(login_as, bob, alice, case):
    proposal = EmbargoProposal.objects.create(
        embargo=case.embargo,
        proposed_by=alice,
        proposed_at=NOW,
        end_at=NOW + timedelta(days=25),
        is_extension=True,
        justification="Three stable branches need a backport.",
    )
    EmbargoVote.objects.create(proposal=proposal, person=bob, approve=True, at=NOW)
    body = login_as(bob).get(f"/cases/{case.project.slug}/{case.number}/").content.decode()
    assert "Open proposal (extension)" in body
    assert "Three stable branches need a backport." in body
    assert "Bob Member &lt;bob@example.org&gt;: agrees" in body


def test_history_lists_the_audit_records_in_order(login_as, bob, alice, case):
    with transaction.atomic():
        record(alice, AuditEvent.REPORT_ACCEPTED, case=case)
        record(
            alice,
            AuditEvent.EMBARGO_PROPOSED,
            case=case,
            end_at=NOW + timedelta(days=10),
            extension=False,
            justification="",
        )
    page = login_as(bob).get(f"/cases/{case.project.slug}/{case.number}/").content.decode()
    body = page[page.index('id="history-heading"') :]
    accepted = body.index("report accepted")
    proposed = body.index("embargo proposed")
    assert accepted < proposed
    assert "Alice Admin" in body[accepted - 200 : accepted]
    assert (
        '<dt>end at</dt><dd><time class="moment" datetime="2026-03-12T10:00:00Z">'
        "Thu 2026-03-12 10:00 UTC</time></dd>" in body
    )
    assert "<dt>extension</dt><dd>no</dd>" in body
    assert "justification" not in body


def test_a_duplicate_links_its_original_only_for_those_who_may_see_it(
    login_as, alice, bob, libvirt, case
):
    from secdesk.cases.actions.restriction import do_restrict_case
    from secdesk.cases.models import Case

    duplicate = Case.objects.create(
        project=libvirt, number=2, title="Same crash again", state="deferred", received_at=NOW
    )
    Case.objects.filter(pk=duplicate.pk).update(duplicate_of=case)
    do_restrict_case(case, emails=[alice.email], acting=alice)

    theirs = (
        login_as(bob).get(f"/cases/{duplicate.project.slug}/{duplicate.number}/").content.decode()
    )
    admitted = (
        login_as(alice).get(f"/cases/{duplicate.project.slug}/{duplicate.number}/").content.decode()
    )

    assert (
        f'href="/cases/{case.project.slug}/{case.number}/"' not in theirs
        and "Duplicate of" not in theirs
    )
    assert f'href="/cases/{case.project.slug}/{case.number}/"' in admitted


def test_the_embargo_form_offers_zones_that_name_places(login_as, alice, case):
    body = login_as(alice).get(f"/cases/{case.project.slug}/{case.number}/").content.decode()
    offered = re.findall(
        r'<option value="([^"]+)"', body.split('id="embargo-zone"')[1].split("</select>")[0]
    )
    assert offered[0] == "UTC" and "Europe/Berlin" in offered
    assert "Factory" not in offered and "posixrules" not in offered


def test_the_thread_opens_on_its_newest_page_and_pages_back(login_as, bob, case):
    Message.objects.bulk_create(
        Message(case=case, author=bob, body=f"note {n:02d}", created_at=NOW + timedelta(minutes=n))
        for n in range(1, 25)
    )
    client = login_as(bob)
    url = f"/cases/{case.project.slug}/{case.number}/"

    newest = client.get(url).content.decode()
    oldest = client.get(url, {"thread": "1"}).content.decode()

    assert "page 2 of 2" in newest and "note 24" in newest and "note 20" not in newest
    assert 'href="?thread=1#thread"' in newest
    assert "page 1 of 2" in oldest and "note 19" in oldest and "note 24" not in oldest
    assert "24 messages" in newest


def test_the_case_page_says_what_the_case_waits_for_first(login_as, bob, case):
    body = login_as(bob).get(f"/cases/{case.project.slug}/{case.number}/").content.decode()

    glance = body[body.index('class="case-glance"') : body.index('class="case-nav"')]
    assert "Next:" in glance and "countdown" in glance


def test_the_advisory_preview_loads_with_its_panel_not_with_the_page(login_as, bob, case):
    client = login_as(bob)
    url = f"/cases/{case.project.slug}/{case.number}/"
    page = client.get(url).content.decode()
    assert f'hx-get="{url}advisory/preview/?format=text"' in page
    assert 'class="preview-text"' not in page
    preview = client.get(f"{url}advisory/preview/", {"format": "osv"})
    assert preview.status_code == 200
    assert "&quot;schema_version&quot;" in preview.content.decode()
    assert 'class="preview-text"' in client.get(url, {"format": "text"}).content.decode()
