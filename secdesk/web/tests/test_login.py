import pytest
from django.urls import reverse

from secdesk.web.tests.conftest import PASSWORD


@pytest.mark.parametrize("url", ["/", "/cases/libvirt/1/"])
def test_anonymous_visitor_is_sent_to_the_login_form(db, client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def csrf_token(client, url: str) -> str:
    client.get(url)
    return client.cookies["csrftoken"].value


def test_member_logs_in_with_email_and_password(client, bob):
    token = csrf_token(client, reverse("login"))
    response = client.post(
        reverse("login"),
        {"username": "bob@example.org", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    # A team member may see embargoed material: the second factor comes next.
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 302
    assert dashboard["Location"].startswith(reverse("second_factor"))


def test_wrong_password_shows_the_form_again_with_an_error(client, bob):
    token = csrf_token(client, reverse("login"))
    response = client.post(
        reverse("login"),
        {"username": "bob@example.org", "password": "not it", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 200
    assert b'role="alert"' in response.content
    assert "_auth_user_id" not in client.session


def test_login_without_csrf_token_is_refused_with_a_plain_page(client, bob):
    response = client.post(reverse("login"), {"username": "bob@example.org", "password": PASSWORD})
    assert response.status_code == 403
    assert b"This form has expired" in response.content


def test_logout_is_a_post_and_ends_the_session(login_as, bob):
    client = login_as(bob)
    assert client.get(reverse("logout")).status_code == 405
    token = csrf_token(client, reverse("dashboard"))
    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302
