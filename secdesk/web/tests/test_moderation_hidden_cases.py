"""Held mail into a restricted case is for the moderators the case admits. To a
moderator or an admin it leaves out, it does not exist: not listed, not counted,
not shown, not decided, and a click on it is answered as one on an id that was
never used (issue 14, finding 5)."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from secdesk.cases.actions.restriction import do_restrict_case
from secdesk.mail.models import Inbound, InboundMessage
from secdesk.mail.tests.conftest import mail
from secdesk.teams.models import Role
from secdesk.web.tests.conftest import join, make_person, post_form

MISSING = 999999
SUBJECT = "Re: the patch for the ACL bypass"
BODY = "Here is a second way in, through virDomainMigratePrepare3."


@pytest.fixture
def mona(libvirt, alice):
    """A moderator the restriction leaves out."""
    person = make_person("mona@example.org", "Mona Moderator")
    join(person, libvirt, Role.MODERATOR)
    return person


@pytest.fixture
def ada(libvirt, alice):
    """An admin the restriction leaves out."""
    person = make_person("ada@example.org", "Ada Admin")
    join(person, libvirt, Role.ADMIN)
    return person


@pytest.fixture
def restricted(case, alice, bob, mona, ada):
    do_restrict_case(case, emails=[bob.email], acting=alice)
    return case


def into(case, state=Inbound.HELD, project=None, **fields) -> InboundMessage:
    """Mail from someone who is not a member, addressed into the case (or none),
    as the intake leaves it when it holds it."""
    raw = mail(sender="outsider@example.net", to="security@libvirt.org", subject=SUBJECT, body=BODY)
    fields = {
        "case": case,
        "reasons": [{"rule": "not-member", "reason": "the sender is not an authenticated member"}],
        **fields,
    }
    return InboundMessage.objects.create(
        raw=raw,
        size=len(raw),
        mail_from="outsider@example.net",
        sender="outsider@example.net",
        subject=SUBJECT,
        received_at=timezone.now(),
        project=project or case.project,
        state=state,
        **fields,
    )


def _without_csrf(content: bytes) -> str:
    # The CSRF token is masked afresh in every response.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content.decode())


@pytest.mark.parametrize("person", ["mona", "ada"])
def test_a_moderator_left_out_sees_no_held_mail_into_the_case(
    login_as, restricted, alice, person, request
):
    into(restricted)
    left_out = request.getfixturevalue(person)

    theirs = login_as(left_out).get(reverse("moderation")).content.decode()
    admitted = login_as(alice).get(reverse("moderation")).content.decode()

    assert SUBJECT in admitted and BODY in admitted
    assert SUBJECT not in theirs and BODY not in theirs
    assert "Nothing is held for moderation." in theirs


@pytest.mark.parametrize("step", ["moderation_approve", "moderation_reject", "moderation_spam"])
def test_deciding_held_mail_into_a_hidden_case_is_answered_as_a_missing_one(
    login_as, restricted, mona, step
):
    row = into(restricted)
    client = login_as(mona)
    data = {"reason": "not for us"}

    hidden = post_form(client, reverse(step, args=[row.pk]), data, page="/moderation/")
    missing = post_form(client, reverse(step, args=[MISSING]), data, page="/moderation/")

    assert hidden.status_code == missing.status_code == 404
    assert _without_csrf(hidden.content) == _without_csrf(missing.content)
    row.refresh_from_db()
    assert row.state == Inbound.HELD and row.decided_by is None


def test_the_moderator_the_case_admits_still_decides_its_held_mail(login_as, restricted, alice):
    row = into(restricted)
    answer = post_form(
        login_as(alice),
        reverse("moderation_reject", args=[row.pk]),
        {"reason": "not for us"},
        page="/moderation/",
    )
    row.refresh_from_db()
    assert answer.status_code == 302 and row.state == Inbound.REJECTED


def test_quarantined_mail_into_a_hidden_case_is_neither_listed_nor_shown_nor_released(
    login_as, restricted, mona, alice
):
    row = into(restricted, state=Inbound.QUARANTINED)
    client = login_as(mona)

    listing = client.get(reverse("moderation")).content.decode()
    shown = client.get(reverse("quarantined", args=[row.pk]))
    missing = client.get(reverse("quarantined", args=[MISSING]))
    release = post_form(client, reverse("release", args=[row.pk]), {}, page="/moderation/")

    assert SUBJECT not in listing
    assert shown.status_code == missing.status_code == release.status_code == 404
    assert _without_csrf(shown.content) == _without_csrf(missing.content)
    assert BODY in login_as(alice).get(reverse("quarantined", args=[row.pk])).content.decode()
    row.refresh_from_db()
    assert row.state == Inbound.QUARANTINED


def test_needs_me_counts_only_held_mail_the_moderator_may_see(login_as, restricted, mona, alice):
    into(restricted)

    theirs = login_as(mona).get(reverse("dashboard")).content.decode()
    admitted = login_as(alice).get(reverse("dashboard")).content.decode()

    assert "1 report waiting for moderation" in admitted
    assert "waiting for moderation" not in theirs


def test_a_suggested_case_is_shown_only_to_those_who_may_see_it(login_as, restricted, mona, alice):
    suggestion = {
        "rule": "suggested-case",
        "reason": f"In-Reply-To names a mail of case #{restricted.pk}",
        "suggested_case": restricted.pk,
    }
    held = into(None, project=restricted.project, reasons=[suggestion])

    theirs = login_as(mona).get(reverse("moderation")).content.decode()
    admitted = login_as(alice).get(reverse("moderation")).content.decode()

    assert f"mail #{held.pk}" in theirs and f"mail #{held.pk}" in admitted
    assert f"case #{restricted.pk}" not in theirs
    assert reverse("case", args=[restricted]) not in theirs
    assert f"suggested case {restricted.reference}" in admitted
