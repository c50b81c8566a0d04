"""The reporter's private page: their answer joins the case, and an admin can
revoke the link by issuing a new one."""

import pytest

from secdesk.audit.models import AuditEvent, AuditRecord
from secdesk.cases.models import Message, ReportState
from secdesk.mail.models import OutgoingMessage


def reporter_post(client, token, data):
    client.get(f"/r/{token}/")
    data = {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    return client.post(f"/r/{token}/", data)


def test_reporter_answer_joins_the_case_and_reaches_the_members(client, alice, bob, case):
    response = reporter_post(client, case.token, {"body": "The crash log is attached below."})
    assert response.status_code == 302
    assert response["Location"] == f"/r/{case.token}/"
    message = Message.objects.get(case=case)
    assert (message.author, message.internal) == (case.reporter, False)
    [team] = OutgoingMessage.objects.filter(case_message=message)
    assert set(team.to) == {alice.email, bob.email}
    audit = AuditRecord.objects.get(event=AuditEvent.REPORTER_REPLIED)
    assert audit.actor is None
    assert audit.details["by"] == "reporter@example.net"
    page = client.get(f"/r/{case.token}/").content.decode()
    assert "The crash log is attached below." in page


def test_answer_to_a_held_report_waits_for_the_moderator(client, case):
    case.state = ReportState.HELD
    case.save()
    reporter_post(client, case.token, {"body": "One more detail."})
    assert Message.objects.filter(case=case).exists()
    assert not OutgoingMessage.objects.filter(case=case).exists()


def test_empty_answer_is_refused_on_the_page(client, case):
    response = reporter_post(client, case.token, {"body": ""})
    assert response.status_code == 400
    assert "write your answer first" in response.content.decode()


def test_unknown_link_cannot_post(client, case):
    response = client.post("/r/" + "0" * 32 + "/", {"body": "hello"})
    assert response.status_code in (403, 404)
    assert not Message.objects.exists()


@pytest.fixture
def admin_client(login_as, alice, case):
    client = login_as(alice)
    client.get(f"/cases/{case.pk}/")
    return client


def test_a_new_private_link_revokes_the_old_one_and_is_mailed(client, admin_client, case):
    old = case.token
    token = admin_client.cookies["csrftoken"].value
    response = admin_client.post(f"/cases/{case.pk}/reporter-link/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.token != old
    assert client.get(f"/r/{old}/").status_code == 404
    assert client.get(f"/r/{case.token}/").status_code == 200
    mail = OutgoingMessage.objects.get(kind="reporter-link")
    assert mail.to == ["reporter@example.net"]
    assert f"/r/{case.token}/" in mail.body
    assert old not in mail.body
    audit = AuditRecord.objects.get(event=AuditEvent.REPORTER_LINK_REISSUED)
    assert case.token not in str(audit.details)


def test_a_member_cannot_reissue_the_link(login_as, bob, case):
    client = login_as(bob)
    client.get(f"/cases/{case.pk}/")
    token = client.cookies["csrftoken"].value
    response = client.post(f"/cases/{case.pk}/reporter-link/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 403
    assert "Issue a new private link" not in client.get(f"/cases/{case.pk}/").content.decode()
