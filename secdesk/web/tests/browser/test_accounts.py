"""Accounts that last, in chromium: a new member sets up the authenticator from
the QR code, chooses a password, makes recovery codes and registers a passkey
on chromium's virtual authenticator; then logs in again with the password (and
a recovery code, which works once) and with the passkey alone.

The steps build on each other, as a member's first day does, so they are one
test: dana is made for it and used by no other test.
"""

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from django_otp.oath import totp
from playwright.sync_api import expect

DANA = "dana@example.org"
PASSWORD = "a long passphrase nobody guesses"

# The QR code as the page shows it, drawn on a canvas and read back as grey
# levels, for a QR decoder to read as a phone's camera would.
QR_PIXELS = """(img) => {
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(img, 0, 0);
  const rgba = context.getImageData(0, 0, canvas.width, canvas.height).data;
  const grey = [];
  for (let i = 0; i < rgba.length; i += 4) grey.push(rgba[i + 1]);
  return { width: canvas.width, height: canvas.height, grey };
}"""


def _read_qr(page) -> str:
    image = page.get_by_role("img", name="QR code of the key below")
    pixels = image.evaluate(QR_PIXELS)
    grey = memoryview(bytes(pixels["grey"])).cast("B", shape=[pixels["height"], pixels["width"]])
    found = zxingcpp.read_barcodes(grey)
    assert len(found) == 1, "the page shows one readable QR code"
    return found[0].text


def _virtual_authenticator(desk):
    """A passkey store in chromium, as a phone or a laptop with a fingerprint
    reader is: it keeps discoverable credentials and verifies its holder."""
    cdp = desk.context.new_cdp_session(desk.page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp


def _log_out(desk):
    desk.page.get_by_role("button", name="Log out").click()
    desk.page.wait_for_url("**/login/")


def _password_login(desk):
    desk.open("/login/")
    desk.page.get_by_label("Email").fill(DANA)
    desk.page.get_by_label("Password").fill(PASSWORD)
    desk.page.get_by_role("button", name="Log in", exact=True).click()
    desk.page.wait_for_url("**/account/second-factor/**")


def _recovery(desk, code):
    desk.page.get_by_label("Recovery code").fill(code)
    desk.page.get_by_role("button", name="Use the recovery code").click()


@pytest.fixture
def dana(server):
    server.command("member", "add", "example", DANA, "--role", "member", who="admin@localhost")
    server.command("member", "accept-policy", "example", who=DANA)
    return DANA


def test_a_members_first_day_password_totp_from_qr_recovery_code_and_passkey(desks, dana):
    desk = desks.new_desk()
    desk.login(desk.server.login_link(dana))
    page = desk.page
    page.wait_for_url("**/account/second-factor/**")
    uri = _read_qr(page)
    assert uri.startswith("otpauth://totp/")
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    assert secret == page.locator(".secret code").inner_text().strip()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("Code from your authenticator app").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(desk.server.url + "/")

    desk.open("/account/")
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_role("button", name="Set a password").click()
    expect(page.get_by_text("Password saved.")).to_be_visible()
    page.get_by_role("button", name="Make recovery codes").click()
    # The codes arrive with the next page: wait for it before reading them.
    expect(page.locator(".recovery-codes code")).to_have_count(10)
    codes = page.locator(".recovery-codes code").all_inner_texts()

    _virtual_authenticator(desk)
    page.get_by_label("Name of the new passkey").fill("virtual laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_label("Name of passkey")).to_have_value("virtual laptop")

    # The passkey alone logs in: the authenticator verified its holder.
    _log_out(desk)
    page.get_by_role("button", name="Log in with a passkey").click()
    page.wait_for_url(desk.server.url + "/")
    expect(page.get_by_role("link", name="Account")).to_be_visible()

    # The password, then a recovery code in place of the second factor.
    other = desks.new_desk()
    _password_login(other)
    _recovery(other, codes[0])
    other.page.wait_for_url(desk.server.url + "/")
    _log_out(other)
    _password_login(other)
    _recovery(other, codes[0])
    expect(other.page.get_by_role("alert")).to_contain_text("was used already")
    other.context.close()
