"""The moderation queue on the web: held reports with why
they were held, approve / reject / spam in one click, and the quarantine."""

from email.message import EmailMessage

import pytest
from django.urls import reverse

from secdesk.cases.models import Case
from secdesk.mail import intake
from secdesk.mail.addresses import resolve, security_addresses
from secdesk.mail.models import Inbound, InboundMessage
from secdesk.mail.tests.conftest import mail
from secdesk.outbox.models import OutgoingMessage
from secdesk.teams.models import Role
from secdesk.web.tests.conftest import join, make_person, post_form

ADDRESS = "security@libvirt.org"


def deliver(raw: bytes, mail_from="finder@research.example") -> InboundMessage:
    [pk] = intake.Intake(None).store(
        [intake.Envelope(raw, mail_from, [(ADDRESS, resolve(ADDRESS, security_addresses()))])]
    )
    intake.Intake(None).process_one(pk)
    return InboundMessage.objects.get(pk=pk)


@pytest.fixture
def mona(libvirt, alice):
    person = make_person("mona@example.org", "Mona Moderator")
    join(person, libvirt, Role.MODERATOR)
    return person


@pytest.fixture
def held(libvirt):
    return deliver(mail(to=ADDRESS, subject="Heap overflow in the XML parser"))


def test_a_moderator_sees_held_reports_oldest_first_with_reasons_and_attachments(
    login_as, mona, libvirt
):
    first = deliver(mail(to=ADDRESS, subject="First: crash in RPC"))
    with_file = EmailMessage()
    with_file["From"], with_file["To"], with_file["Subject"] = "x@y.example", ADDRESS, "Second"
    with_file.set_content("see the attached proof of concept")
    with_file.add_attachment(
        b"\x00poc", maintype="application", subtype="octet-stream", filename="poc.bin"
    )
    second = deliver(with_file.as_bytes(), mail_from="x@y.example")
    assert first.state == second.state == Inbound.HELD

    page = login_as(mona).get(reverse("moderation")).content.decode()

    assert page.index("First: crash in RPC") < page.index("Second")
    assert "the sender is not an authenticated member" in page
    assert "poc.bin" in page and "see the attached proof of concept" in page
    assert "finder@research.example" in page


def test_a_member_who_does_not_moderate_sees_no_held_report(login_as, bob, held):
    page = login_as(bob).get(reverse("moderation")).content.decode()
    assert "You moderate no project" in page
    assert "Heap overflow" not in page and "Steps to reproduce" not in page


def test_approving_makes_the_report_a_case_and_sends_it_to_the_team(login_as, mona, bob, held):
    client = login_as(mona)
    answer = post_form(
        client, reverse("moderation_approve", args=[held.pk]), {}, page="/moderation/"
    )

    assert answer.status_code == 302 and answer["Location"] == reverse("moderation")
    assert Case.objects.get(pk=held.case_id).state == "valid"
    to_team = OutgoingMessage.objects.filter(case_id=held.case_id).exclude(kind="acknowledgement")
    assert any(bob.email in row.recipients for row in to_team)
    assert "approved; the team has it" in client.get(reverse("moderation")).content.decode()


def test_an_htmx_click_swaps_the_row_and_a_second_approval_hears_already_approved(
    login_as, mona, alice, held
):
    url = reverse("moderation_approve", args=[held.pk])
    first = post_form(login_as(mona), url, {}, page="/moderation/", HTTP_HX_REQUEST="true")
    second = post_form(login_as(alice), url, {}, page="/moderation/", HTTP_HX_REQUEST="true")

    assert first.status_code == 200 and f'id="held-{held.pk}"' in first.content.decode()
    assert "approved; the team has it" in first.content.decode()
    assert "already approved" in second.content.decode()
    assert "<html" not in second.content.decode()


def test_rejecting_tells_the_reporter_the_reason(login_as, mona, held):
    post_form(
        login_as(mona),
        reverse("moderation_reject", args=[held.pk]),
        {"reason": "This is a feature request, not a security issue."},
        page="/moderation/",
    )
    held.refresh_from_db()
    assert held.state == Inbound.REJECTED
    notice = OutgoingMessage.objects.get(case_id=held.case_id, kind="rejection")
    assert notice.to == ["finder@research.example"]
    assert "feature request, not a security issue" in notice.body


def test_spam_is_discarded_with_no_reply(login_as, mona, held):
    post_form(login_as(mona), reverse("moderation_spam", args=[held.pk]), {}, page="/moderation/")
    held.refresh_from_db()
    assert held.state == Inbound.REJECTED
    assert not OutgoingMessage.objects.filter(case_id=held.case_id, kind="rejection").exists()


def test_a_member_who_does_not_moderate_cannot_approve(login_as, bob, held):
    answer = post_form(login_as(bob), reverse("moderation_approve", args=[held.pk]), {}, page="/")
    assert answer.status_code == 404
    assert Case.objects.get(pk=held.case_id).state == "held"


def test_quarantined_mail_is_shown_escaped_as_received(login_as, mona, libvirt):
    raw = b"Subject: no sender here\r\n\r\n<script>alert('x')</script>\r\n"
    row = deliver(raw, mail_from="")
    assert row.state == Inbound.QUARANTINED

    client = login_as(mona)
    listing = client.get(reverse("moderation")).content.decode()
    page = client.get(reverse("quarantined", args=[row.pk])).content.decode()

    assert "no usable sender address" in listing
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<script>alert" not in page


def test_released_mail_runs_through_the_rules_again(login_as, mona, libvirt):
    # As a restart leaves mail that was being read: quarantined for a person.
    row = deliver(mail(to=ADDRESS, subject="Interrupted report"))
    InboundMessage.objects.filter(pk=row.pk).update(state=Inbound.QUARANTINED, case=None)

    client = login_as(mona)
    answer = post_form(client, reverse("release", args=[row.pk]), {}, page="/moderation/")

    row.refresh_from_db()
    assert answer.status_code == 302
    assert row.state == Inbound.HELD
    assert "released; it is now held" in client.get(reverse("moderation")).content.decode()


def test_mail_that_cannot_be_filed_stays_quarantined_on_release(login_as, mona, libvirt):
    row = deliver(b"Subject: still no sender\r\n\r\nbody\r\n", mail_from="")
    client = login_as(mona)
    post_form(client, reverse("release", args=[row.pk]), {}, page="/moderation/")
    row.refresh_from_db()
    assert row.state == Inbound.QUARANTINED
    assert "still quarantined" in client.get(reverse("moderation")).content.decode()


def test_an_approved_report_is_named_by_its_case_and_reasons_are_shown_in_words(
    login_as, mona, held
):
    client = login_as(mona)
    page = client.get(reverse("moderation")).content.decode()
    assert "the sender is not an authenticated member" in page
    assert "not_a_member" not in page

    post_form(client, reverse("moderation_approve", args=[held.pk]), {}, page="/moderation/")
    reference = Case.objects.get(pk=held.case_id).reference
    told = client.get(reverse("moderation")).content.decode()
    assert f"{reference} (mail #{held.pk}) Heap overflow in the XML parser: approved" in told


def test_an_htmx_approval_names_the_case_the_report_became(login_as, mona, held):
    url = reverse("moderation_approve", args=[held.pk])
    answer = post_form(login_as(mona), url, {}, page="/moderation/", HTTP_HX_REQUEST="true")
    reference = Case.objects.get(pk=held.case_id).reference
    assert f"({reference} (mail #{held.pk})): approved" in answer.content.decode()
