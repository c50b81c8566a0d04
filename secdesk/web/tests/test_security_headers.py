import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

SECDESK = Path(__file__).resolve().parents[2]
# Scripts and styles only from our own files, no plug-ins, no framing.
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def directives(header: str) -> dict[str, str]:
    """A policy as its directives: their order in the header means nothing."""
    return dict(part.split(" ", 1) for part in header.split("; "))


def test_every_kind_of_response_carries_the_content_security_policy(login_as, bob, charlie, case):
    anonymous = Client(enforce_csrf_checks=True)
    responses = [
        anonymous.get("/"),
        anonymous.get("/login/"),
        anonymous.post("/login/", {}),
        anonymous.get("/login/once/unknown/"),
        anonymous.get("/no/such/page/"),
        login_as(bob).get("/"),
        login_as(bob).get(f"/cases/{case.project.slug}/{case.number}/"),
        login_as(charlie).get(f"/cases/{case.project.slug}/{case.number}/"),
    ]
    assert [r.status_code for r in responses] == [302, 200, 403, 404, 404, 200, 200, 404]
    for response in responses:
        assert directives(response["Content-Security-Policy"]) == POLICY


def test_policy_allows_scripts_and_styles_only_from_our_own_files(client):
    header = client.get("/login/")["Content-Security-Policy"]
    assert "unsafe-inline" not in header
    assert directives(header)["script-src"] == directives(header)["style-src"] == "'self'"


def test_static_files_carry_the_policy_nosniff_and_a_cache_lifetime(client):
    response = client.get("/static/secdesk/secdesk.css")
    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("max-age=")


TEMPLATES = sorted(SECDESK.glob("*/templates/**/*.html"))
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(SECDESK)))
def test_no_template_has_inline_script_or_style(path):
    text = path.read_text()
    for attributes, body in SCRIPT.findall(text):
        assert "src=" in attributes and not body.strip(), "inline <script>"
    assert not re.search(r"<style\b", text, re.I), "<style> element"
    assert not re.search(r"\sstyle\s*=", text, re.I), "style attribute"
    assert not re.search(r"\son[a-z]+\s*=", text, re.I), "inline event handler"


def test_templates_were_found_to_scan():
    assert len(TEMPLATES) >= 10


@pytest.mark.parametrize(
    "path", ["secdesk/secdesk.css", "secdesk/times.js", "secdesk/vendor/htmx.min.js"]
)
def test_static_files_the_pages_load_exist(path):
    assert finders.find(path)
