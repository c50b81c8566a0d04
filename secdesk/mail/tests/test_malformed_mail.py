"""Real-world and broken mail: every message is kept (held or quarantined) or
refused at SMTP with a clear 5xx; nothing is lost and nothing crashes."""

import smtplib
from email.message import EmailMessage
from pathlib import Path

import pysequoia

from secdesk.lib.openpgp import signed_part
from secdesk.mail.models import Inbound, InboundMessage
from secdesk.mail.tests.conftest import deliver, stored_raw

FIXTURES = Path(__file__).parent / "fixtures"


def _many_recipients(count=10_000) -> bytes:
    to = ",\r\n ".join(f"user{n}@lists.example" for n in range(count))
    return (
        f"From: finder@research.example\r\nTo: {to}\r\nSubject: wide\r\n"
        "Message-ID: <wide.1@research.example>\r\n\r\nA very wide To.\r\n"
    ).encode()


def test_every_fixture_is_held_with_its_text_and_attachments(project, alice):
    for path in sorted(FIXTURES.glob("*.eml")):
        row = deliver(path.read_bytes())
        assert row.state in (Inbound.HELD, Inbound.QUARANTINED), path.name
    assert InboundMessage.objects.count() == len(list(FIXTURES.glob("*.eml")))
    attached = InboundMessage.objects.get(message_id="<att.1@research.example>")
    [poc] = attached.attachments.all()
    assert (poc.filename, poc.size, bytes(poc.data)) == ("poc.bin", 10, bytes(range(10)))
    latin = InboundMessage.objects.get(message_id="<latin1.1@example.de>")
    assert "Lücke" in latin.case.messages.first().body
    sjis = InboundMessage.objects.get(message_id="<sjis.1@example.jp>")
    assert "脆弱性" in sjis.case.messages.first().body
    no_from = InboundMessage.objects.get(message_id="<nofrom.1@example.org>")
    assert no_from.case.reporter.email == "finder@research.example"  # the envelope sender


def test_a_ten_thousand_address_to_header_is_held(project, alice):
    assert deliver(_many_recipients()).state == Inbound.HELD


def test_mail_with_no_sender_at_all_is_quarantined(project, alice):
    row = deliver((FIXTURES / "no_from.eml").read_bytes(), mail_from="")
    assert row.state == Inbound.QUARANTINED and row.reasons[0]["rule"] == "no_sender"


def test_a_pgp_mime_signed_report_from_a_member_is_authenticated(project, alice, bob, bob_key):
    inner = EmailMessage()
    inner.set_content("The fix is in commit abc123.\n")
    signed_bytes = inner.as_bytes().replace(b"\n", b"\r\n")
    signature = pysequoia.sign(
        bob_key.signer(), signed_bytes, mode=pysequoia.SignatureMode.DETACHED
    ).decode()
    raw = (
        b"From: bob@suse.example\r\nTo: security@libvirt.example\r\nSubject: signed\r\n"
        b"Message-ID: <pgpmime.1@suse.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/signed; micalg=pgp-sha512;\r\n protocol="application/'
        b'pgp-signature"; boundary="sig"\r\n\r\n--sig\r\n'
        + signed_bytes
        + b"\r\n--sig\r\nContent-Type: application/pgp-signature\r\n\r\n"
        + signature.replace("\n", "\r\n").encode()
        + b"\r\n--sig--\r\n"
    )
    assert signed_part(raw, "sig") == signed_bytes
    row = deliver(raw)
    assert row.state == Inbound.ACCEPTED
    tampered = deliver(raw.replace(b"abc123", b"abc124"))
    assert tampered.state == Inbound.HELD


def test_the_daemon_stores_or_refuses_every_malformed_message(desk):
    cli, daemon = desk
    corpus = [path.read_bytes() for path in sorted(FIXTURES.glob("*.eml"))]
    corpus.append(_many_recipients())
    corpus.append(b"Subject: huge\r\n\r\n" + (b"x" * 76 + b"\r\n") * (30 * 1024 * 1024 // 78))
    stored_before = _stored_count(cli)
    refused = []
    with smtplib.SMTP("127.0.0.1", daemon.port, timeout=120) as smtp:
        for raw in corpus:
            try:
                smtp.sendmail("finder@research.example", ["security@libvirt.example"], raw)
            except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as err:
                assert 500 <= err.smtp_code < 600
                refused.append(err.smtp_error.decode())
                smtp.rset()
    assert len(refused) == 1 and "too big" in refused[0]
    assert _stored_count(cli) - stored_before + len(refused) == len(corpus)
    assert daemon.process.poll() is None


def _stored_count(cli) -> int:
    return len(stored_raw(cli))
