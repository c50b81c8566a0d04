"""The reporter's private page: their answer joins the case, and an admin can
revoke the link by issuing a new one."""

import pytest
from django.db import transaction

from secdesk.audit.models import AuditEvent, AuditRecord
from secdesk.cases.capabilities import reporter_link_token
from secdesk.cases.models import Capability, Message, ReportState
from secdesk.outbox.models import OutgoingMessage


def link_of(case) -> str:
    with transaction.atomic():
        return reporter_link_token(case)


def reporter_post(client, token, data):
    client.get(f"/r/{token}/")
    data = {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    return client.post(f"/r/{token}/", data)


def test_reporter_answer_joins_the_case_and_reaches_the_members(client, alice, bob, case):
    link = link_of(case)
    response = reporter_post(client, link, {"body": "The crash log is attached below."})
    assert response.status_code == 302
    assert response["Location"] == f"/r/{link}/"
    message = Message.objects.get(case=case)
    assert (message.author, message.internal) == (case.reporter, False)
    team = OutgoingMessage.objects.filter(case_message=message)
    assert sorted(a for row in team for a in row.to) == [alice.email, bob.email]
    audit = AuditRecord.objects.get(event=AuditEvent.REPORTER_REPLIED)
    assert audit.actor is None
    assert audit.details["by"] == "reporter@example.net"
    page = client.get(f"/r/{link}/").content.decode()
    assert "The crash log is attached below." in page


def test_answer_to_a_held_report_waits_for_the_moderator(client, case):
    case.state = ReportState.HELD
    case.save()
    reporter_post(client, link_of(case), {"body": "One more detail."})
    assert Message.objects.filter(case=case).exists()
    assert not OutgoingMessage.objects.filter(case=case).exists()


def test_empty_answer_is_refused_on_the_page(client, case):
    response = reporter_post(client, link_of(case), {"body": ""})
    assert response.status_code == 400
    assert "write your answer first" in response.content.decode()


def test_unknown_link_cannot_post(client, case):
    response = client.post("/r/" + "0" * 32 + "/", {"body": "hello"})
    assert response.status_code in (403, 404)
    assert not Message.objects.exists()


@pytest.fixture
def admin_client(login_as, alice, case):
    client = login_as(alice)
    client.get(f"/cases/{case.project.slug}/{case.number}/")
    return client


def test_a_new_private_link_revokes_the_old_one_and_is_mailed(client, admin_client, case):
    old = link_of(case)
    token = admin_client.cookies["csrftoken"].value
    response = admin_client.post(
        f"/cases/{case.project.slug}/{case.number}/reporter-link/", {"csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    new = link_of(case)
    assert new != old
    assert client.get(f"/r/{old}/").status_code == 404
    assert client.get(f"/r/{new}/").status_code == 200
    mail = OutgoingMessage.objects.get(kind="reporter-link")
    assert mail.to == ["reporter@example.net"]
    assert f"/r/{new}/" in mail.body
    assert old not in mail.body
    audit = AuditRecord.objects.get(event=AuditEvent.REPORTER_LINK_REISSUED)
    assert new not in str(audit.details) and new not in str(mail.dedupe_key)


def test_a_reply_token_is_no_private_link(client, bob, case):
    """A member's reply address, from mail they received, opens no page."""
    with transaction.atomic():
        from secdesk.cases.capabilities import reply_token

        member_token = reply_token(case, bob)
        reporter_reply = reply_token(case, case.reporter)
    assert client.get(f"/r/{member_token}/").status_code == 404
    assert client.get(f"/r/{reporter_reply}/").status_code == 404
    assert Capability.objects.filter(kind=Capability.Kind.LINK).count() == 0


def test_a_member_cannot_reissue_the_link(login_as, bob, case):
    client = login_as(bob)
    client.get(f"/cases/{case.project.slug}/{case.number}/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/cases/{case.project.slug}/{case.number}/reporter-link/", {"csrfmiddlewaretoken": token}
    )
    assert response.status_code == 403
    assert (
        "Issue a new private link"
        not in client.get(f"/cases/{case.project.slug}/{case.number}/").content.decode()
    )
