from django.template import loader
from django.test import Client


def test_server_error_page_renders_without_any_context():
    # Django renders 500.html with an empty context: no request, no user.
    html = loader.get_template("500.html").render()
    assert "Something went wrong" in html
    assert "Log out" not in html


def test_bad_request_gets_the_plain_400_page(db):
    response = Client(HTTP_HOST="evil.example").get("/login/")
    assert response.status_code == 400
    assert b"Bad request" in response.content
    assert response["Content-Security-Policy"]


def test_unknown_page_gets_the_plain_404_page(db):
    response = Client().get("/no/such/page/")
    assert response.status_code == 404
    assert b"There is nothing here, or you may not see it." in response.content
