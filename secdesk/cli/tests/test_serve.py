"""`secdesk serve --demo` starts, prints a one-time login link that logs in, and the
dashboard lists the demo cases (acceptance A of the foundation issue)."""

import base64
import http.cookiejar
import json
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django_otp.oath import totp

from secdesk.testing import spawn, stop


@pytest.fixture
def cli(process_cli):
    """What only a process shows: the real command in a subprocess."""
    return process_cli


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(cli):
    port, mail_port = _free_port(), _free_port()
    process = spawn(
        [
            cli.exe,
            "serve",
            "--demo",
            "--web",
            f"127.0.0.1:{port}",
            "--smtp",
            f"127.0.0.1:{mail_port}",
        ],
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "worker running" in line:
                break
        assert any("worker running" in line for line in lines), (lines, process.poll())
        yield process, "".join(lines), port
    finally:
        stop(process, signal.SIGINT)


def test_serve_demo_prints_a_login_link_that_opens_the_dashboard_of_demo_cases(served):
    _, printed, port = served
    assert f"web on http://127.0.0.1:{port}/" in printed
    link = re.search(r"http://127\.0\.0\.1:\d+/login/once/\S+/", printed).group(0)

    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = browser.open(link).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(link, data=form, headers={"Referer": link})
    # Logged in by the link; an administrator sets up the second factor next.
    setup = browser.open(request)
    assert "/account/second-factor/" in setup.geturl()
    page = setup.read().decode()
    secret = re.search(r'class="secret"><code>([A-Z2-7=]+)</code>', page).group(1)
    code = f"{totp(base64.b32decode(secret)):06d}"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "code": code, "next": "/"}
    ).encode()
    request = urllib.request.Request(setup.geturl(), data=form, headers={"Referer": setup.geturl()})
    dashboard = browser.open(request)
    html = dashboard.read().decode()
    assert dashboard.geturl() == f"http://127.0.0.1:{port}/"
    for title in (
        "Heap overflow parsing crafted disk image header",
        "ACL check skipped for domain migration API",
        "Path traversal in storage pool upload",
        "Public: use-after-free in event loop teardown",
    ):
        assert title in html
    assert "default-src 'self'" in dashboard.headers["Content-Security-Policy"].split("; ")

    # The link is used up.
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode()
    again = urllib.request.Request(link, data=form, headers={"Referer": link})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.build_opener().open(again)
    assert refused.value.code in (403, 410)


def _start(cli, port):
    process = spawn(
        [
            cli.exe,
            "serve",
            "--demo",
            "--web",
            f"127.0.0.1:{port}",
            "--smtp",
            f"127.0.0.1:{_free_port()}",
        ],
        env=cli.env,
        stdout=subprocess.PIPE,
        text=True,
    )
    out = ""
    while "worker running" not in out:
        line = process.stdout.readline()
        assert line, out
        out += line
    return process, out


def _stop(process):
    process.send_signal(signal.SIGINT)
    process.wait(timeout=20)


def _log_in(link):
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = browser.open(link).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode()
    browser.open(urllib.request.Request(link, data=form, headers={"Referer": link}))


LINK = re.compile(r"http://127\.0\.0\.1:\d+/login/once/\S+/")


def test_later_starts_print_a_fresh_link_until_someone_has_logged_in(cli, served):
    process, first, _ = served
    _stop(process)
    port = _free_port()
    again, out = _start(cli, port)
    try:
        # Nobody used the first link: a second start prints a new one, and it works.
        link = LINK.search(out).group(0)
        assert link != LINK.search(first).group(0)
        assert "first administrator admin@localhost" in out
        cases = cli.json("case", "list", who="admin@localhost")
        assert len(cases) == 7
        _log_in(link)
    finally:
        _stop(again)
    third, out = _start(cli, _free_port())
    _stop(third)
    assert "/login/once/" not in out
    assert "secdesk admin login-link EMAIL" in out


def _listening():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    return taken


@pytest.mark.parametrize("option", ["--web", "--smtp"])
def test_a_taken_port_stops_serve_before_anything_is_created(cli, option):
    with _listening() as taken:
        where = f"127.0.0.1:{taken.getsockname()[1]}"
        ports = {
            "--web": f"127.0.0.1:{_free_port()}",
            "--smtp": f"127.0.0.1:{_free_port()}",
            option: where,
        }
        done = subprocess.run(
            [cli.exe, "serve", "--demo", *(x for pair in ports.items() for x in pair)],
            env=cli.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"secdesk: cannot listen on {where}: already in use; "
        f"choose another with {option} HOST:PORT\n"
    )
    assert "unexpected failure" not in done.stderr and done.stdout == ""
    # The ports are checked before the settings are read: not even an empty
    # database file, and on PostgreSQL not one table.
    assert not (Path(cli.env["SECDESK_DATA_DIR"]) / "secdesk.sqlite3").exists()
    if "DATABASE_URL" in cli.env:
        with psycopg.connect(cli.env["DATABASE_URL"]) as conn:
            tables = "select count(*) from information_schema.tables where table_schema = 'public'"
            assert conn.execute(tables).fetchone() == (0,)


def test_where_serve_listens_changes_no_address_in_the_advisories(served):
    """The demo publishes advisories; they name the site address (unset here:
    the local default), not the port this server happens to listen on."""
    _, printed, port = served
    assert "links and advisories name http://127.0.0.1:8000" in printed
    index = urllib.request.urlopen(f"http://127.0.0.1:{port}/advisories/feed.atom").read().decode()
    advisory_id = re.search(r"/advisories/([A-Z0-9-]+)/", index).group(1)
    osv = urllib.request.urlopen(f"http://127.0.0.1:{port}/advisories/{advisory_id}.osv.json")
    [advisory] = [r["url"] for r in json.load(osv)["references"] if r["type"] == "ADVISORY"]
    assert advisory == f"http://127.0.0.1:8000/advisories/{advisory_id}/"
