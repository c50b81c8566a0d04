"""Publishing through the API queues the publication: the worker announces it,
and the caller follows its progress."""

from django.test import Client

from secdesk.advisories.embargo_end import publish_due
from secdesk.outbox.models import OutgoingMessage
from secdesk.teams.tokens import do_create_api_token


def _bearer(person):
    _, raw = do_create_api_token(name="test", scope="write", acting=person)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_publish_answers_202_queued_and_the_worker_publishes_it_once(ready_case, bob):
    api, auth = Client(), _bearer(bob)
    path = f"/api/v1/cases/{ready_case.project.slug}/{ready_case.number}"
    assert api.get(f"{path}/publication", **auth).status_code == 404

    queued = api.post(f"{path}/publish", {}, content_type="application/json", **auth)
    assert queued.status_code == 202
    assert queued.json()["progress"] == "queued"
    assert queued.json()["case"]["published_at"] is None
    assert not OutgoingMessage.objects.filter(case=ready_case, kind="announcement").exists()

    assert publish_due() == [ready_case.pk]
    done = api.get(f"{path}/publication", **auth).json()
    assert done["progress"] == "done" and done["case"]["published_at"] is not None
    again = api.post(f"{path}/publish", {}, content_type="application/json", **auth)
    assert again.status_code == 400 and "already published" in again.json()["detail"]
    assert OutgoingMessage.objects.filter(case=ready_case, kind="announcement").count() == 1


def test_an_outsider_learns_nothing_of_a_publication(ready_case, charlie):
    from django.contrib.auth.models import User

    charlie.user = User.objects.create_user(username=charlie.email)
    charlie.save()
    path = f"/api/v1/cases/{ready_case.project.slug}/{ready_case.number}/publication"
    missing = Client().get(path, **_bearer(charlie))
    assert missing.status_code == 404
    assert "not being published" not in missing.json()["detail"]
