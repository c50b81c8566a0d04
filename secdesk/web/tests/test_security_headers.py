import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from secdesk.web.middleware import CONTENT_SECURITY_POLICY

SECDESK = Path(__file__).resolve().parents[2]


def test_every_kind_of_response_carries_the_content_security_policy(login_as, bob, charlie, case):
    anonymous = Client(enforce_csrf_checks=True)
    responses = [
        anonymous.get("/"),
        anonymous.get("/login/"),
        anonymous.post("/login/", {}),
        anonymous.get("/login/once/unknown/"),
        anonymous.get("/no/such/page/"),
        login_as(bob).get("/"),
        login_as(bob).get(f"/cases/{case.pk}/"),
        login_as(charlie).get(f"/cases/{case.pk}/"),
    ]
    assert [r.status_code for r in responses] == [302, 200, 403, 404, 404, 200, 200, 404]
    for response in responses:
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_policy_allows_scripts_and_styles_only_from_our_own_files():
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY
    assert "style-src 'self';" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY


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
