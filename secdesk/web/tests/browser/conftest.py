"""Browser tests: Debian's chromium, driven by Playwright, against the real
`secdesk serve --demo` running in a subprocess on a data directory (and, on
PostgreSQL, a database) of its own.

Starting the server and logging a member in through the second factor are the
slow parts, so there is one server and one browser per session, and each member
logs in once: a TOTP code is accepted only once per device and time step, so
logging in again within 30 seconds would be refused anyway.

Every page the tests open is watched for the Content-Security-Policy promise
(issue #7, acceptance C): each response carries the header, no page holds an
inline script or an on* handler attribute, and the console shows no error (a
CSP violation is reported there). The checks run after each test, so a test
only has to visit pages through `Desk.open`.
"""

import base64
import json
import re
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from secdesk.testing import CHROMIUM_MISSING, Databases, chromium, spawn, stop

# Without the background-networking switches chromium reaches out to Google's
# services at start; on a closed network those connections are refused and
# logged, and they are no part of what is tested.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[4] / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
# A zone far from UTC, so a time shown only in UTC (or only locally) shows up.
VIEWER_ZONE = "Asia/Kolkata"
HERE = Path(__file__).resolve().parent

ALICE = "alice@vendor-a.example"  # moderator
BOB = "bob@distro-b.example"
CAROL = "carol@example.org"

# Run in the page: what the CSP forbids, were it not enforced.
INLINE_SCRIPT_PROBE = """() => {
  const found = [];
  for (const script of document.querySelectorAll("script:not([src])")) {
    if (script.textContent.trim()) found.push(script.outerHTML.slice(0, 120));
  }
  for (const element of document.querySelectorAll("*")) {
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.trim().toLowerCase();
      if (name.startsWith("on") || value.startsWith("javascript:")) {
        found.push(`<${element.localName} ${attribute.name}="${attribute.value.slice(0, 60)}">`);
      }
    }
  }
  return found;
}"""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives Debian's chromium against a running secdesk server"
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
            if chromium() is None:
                item.add_marker(pytest.mark.skip(reason=CHROMIUM_MISSING))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    smtp: tuple[str, int]
    env: dict
    admin_link: str
    log: Path

    def command(self, *args, who: str | None = None) -> dict:
        done = subprocess.run(
            ["secdesk", "--json", *(["--as", who] if who else []), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"secdesk {' '.join(args)}: {done.stderr}"
        return json.loads(done.stdout)

    def login_link(self, email: str) -> str:
        return self.command("admin", "login-link", email)["login_link"]


def _wait_for_start(process, log: Path, timeout: float = 180) -> str:
    """The first administrator's login link, once the server says it is running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text()
        if "worker running" in text:
            return re.search(r"^(http://\S+/login/once/\S+)$", text, re.MULTILINE).group(1)
        if process.poll() is not None:
            pytest.fail(f"secdesk serve exited with {process.returncode}:\n{text}")
        time.sleep(0.2)
    pytest.fail(f"secdesk serve did not start in {timeout} s:\n{log.read_text()}")


@pytest.fixture(scope="package")
def server(tmp_path_factory):
    databases = Databases(tmp_path_factory.mktemp("browser"))
    env = databases.env("data")
    env.pop("db", None)
    env["PYTHONUNBUFFERED"] = "1"
    web, smtp = _free_port(), _free_port()
    # By name, not by address: a browser refuses an IP address as a passkey's
    # relying party, and the site address is the relying party.
    env["SECDESK_SITE_URL"] = f"http://localhost:{web}"
    log = Path(env["SECDESK_DATA_DIR"] + ".log")
    with log.open("w") as out:
        process = spawn(
            [
                "secdesk",
                "serve",
                "--demo",
                "--web",
                f"127.0.0.1:{web}",
                "--smtp",
                f"127.0.0.1:{smtp}",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        link = _wait_for_start(process, log)
        yield Server(
            url=env["SECDESK_SITE_URL"],
            smtp=("127.0.0.1", smtp),
            env=env,
            admin_link=link,
            log=log,
        )
    finally:
        stop(process)
        databases.drop_all()


@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright gives each launch a fresh temporary profile.
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Desk:
    """One person's browser context on the server, with what it has seen."""

    server: Server
    context: object
    page: object
    responses: list = field(default_factory=list)
    console_errors: list = field(default_factory=list)
    inline_scripts: list = field(default_factory=list)

    def __post_init__(self):
        self.context.on("response", self._response)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        self.page.on("load", lambda page: self.check_inline_scripts(may_have_left=True))

    def _response(self, response):
        if response.url.startswith(self.server.url):
            self.responses.append((response.url, response.status, response.headers))

    def _console(self, message):
        # No favicon is served; a browser's own request for one is not the page's doing.
        if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            self.console_errors.append(f"{message.text} ({self.page.url})")

    def open(self, path: str):
        response = self.page.goto(self.server.url + path)
        assert response.ok, f"{path}: HTTP {response.status}"
        return self.page

    def check_inline_scripts(self, may_have_left=False):
        """Runs on every load; call it after an htmx swap, which changes the page
        without one."""
        from playwright.sync_api import Error

        try:
            found = self.page.evaluate(INLINE_SCRIPT_PROBE)
        except Error as error:
            # A page left before the probe ran: the next page's load is probed.
            if may_have_left and "context was destroyed" in error.message:
                return
            raise
        if found:
            self.inline_scripts.append((self.page.url, found))

    def login(self, link: str):
        """Redeem a one-time login link; the link's page only asks for a click."""
        self.page.goto(self.server.url + link[link.index("/login/once/") :])
        self.page.get_by_role("button", name="Log in").click()

    def pass_second_factor(self):
        """Set up the authenticator from the key the setup page shows, and confirm it."""
        from django_otp.oath import totp

        page = self.page
        secret = page.locator(".secret code").inner_text().strip()
        code = totp(base64.b32decode(secret))
        page.get_by_label("Code from your authenticator app").fill(f"{code:06d}")
        page.get_by_role("button", name="Continue").click()

    def shoot(self, name: str):
        """Full-page screenshots at desktop and phone width; at phone width nothing
        may be wider than the screen. Both are written before the width is judged,
        so a failure leaves the pictures to look at."""
        SCREENSHOTS.mkdir(exist_ok=True)
        page = self.page
        page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True)
        page.set_viewport_size(PHONE)
        try:
            page.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
            too_wide = page.evaluate(
                """() => document.documentElement.scrollWidth <= window.innerWidth ? null
                  : [...document.querySelectorAll("main *")]
                      .filter((e) => e.getBoundingClientRect().right > window.innerWidth)
                      .map((e) => e.outerHTML.slice(0, 100)).slice(-3)"""
            )
        finally:
            page.set_viewport_size(DESKTOP)
        assert too_wide is None, f"{name} is wider than a phone (375 px): {too_wide}"


class Desks:
    """One Desk per person (None: the first administrator, with the link `serve`
    printed), each logged in through the second factor once per session."""

    def __init__(self, server, browser):
        self.server = server
        self.browser = browser
        self.opened = {}
        self.watched = []

    def new_desk(self) -> Desk:
        context = self.browser.new_context(
            base_url=self.server.url, viewport=DESKTOP, timezone_id=VIEWER_ZONE, locale="en-GB"
        )
        desk = Desk(self.server, context, context.new_page())
        self.watched.append(desk)
        return desk

    def __call__(self, email: str | None = None) -> Desk:
        if email not in self.opened:
            desk = self.new_desk()
            desk.login(self.server.login_link(email) if email else self.server.admin_link)
            desk.pass_second_factor()
            desk.page.wait_for_url(self.server.url + "/")
            self.opened[email] = desk
        return self.opened[email]

    def close(self):
        for desk in self.opened.values():
            desk.context.close()


@pytest.fixture(scope="package")
def desks(server, browser):
    desks = Desks(server, browser)
    yield desks
    desks.close()


@pytest.fixture
def public(desks):
    """A visitor with no account."""
    desk = desks.new_desk()
    yield desk
    desk.context.close()


@pytest.fixture(autouse=True)
def csp_kept(desks):
    """After each test: every response its pages received carries the CSP header,
    no page held an inline script, and the console stayed free of errors."""
    yield
    watched, desks.watched = desks.watched, list(desks.opened.values())
    for desk in watched:
        missing = [
            url for url, _, headers in desk.responses if "content-security-policy" not in headers
        ]
        inline, errors = list(desk.inline_scripts), list(desk.console_errors)
        desk.responses.clear()
        desk.inline_scripts.clear()
        desk.console_errors.clear()
        assert not missing, f"responses without a Content-Security-Policy header: {missing}"
        assert not inline, f"inline scripts or on* handlers: {inline}"
        assert not errors, f"console errors (a CSP violation shows here): {errors}"
