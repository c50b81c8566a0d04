"""Member mail signed with OpenPGP, made by GnuPG (the other side): a signature
makes mail a member's only when it covers exactly what is distributed, by a key
bound to the member in From, recently, and once."""

import base64
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
import time_machine
from django.utils import timezone

from secdesk.cases.models import Message
from secdesk.mail.models import Inbound
from secdesk.mail.tests.conftest import deliver, mail
from secdesk.outbox.models import OutgoingMessage
from secdesk.teams.keys import do_add_member_key
from secdesk.teams.models import MemberKey


@pytest.fixture
def bob_gpg(gpg, bob):
    do_add_member_key(gpg.new_key(bob.email), acting=bob)
    return gpg


def _pgp_mime(gpg, text: str, *, sender="bob@suse.example", wrap_with: str = "") -> bytes:
    """A PGP/MIME message as a mail program makes it; with `wrap_with`, inside
    a multipart/mixed that also carries that text, unsigned."""
    inner = EmailMessage()
    inner.set_content(text)
    signed = inner.as_bytes().replace(b"\n", b"\r\n")
    signature = gpg.detach_sign(sender, signed).replace(b"\n", b"\r\n")
    multipart = (
        b'Content-Type: multipart/signed; micalg=pgp-sha256;\r\n protocol="application/'
        b'pgp-signature"; boundary="sig"\r\n\r\n--sig\r\n'
        + signed
        + b"\r\n--sig\r\nContent-Type: application/pgp-signature\r\n\r\n"
        + signature
        + b"\r\n--sig--\r\n"
    )
    if wrap_with:
        multipart = (
            b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n--outer\r\n'
            + multipart
            + b"\r\n--outer\r\nContent-Type: text/plain\r\n\r\n"
            + wrap_with.encode()
            + b"\r\n--outer--\r\n"
        )
    headers = (
        f"From: {sender}\r\nTo: security@libvirt.example\r\nSubject: signed\r\n"
        f"Message-ID: {make_msgid(domain='suse.example')}\r\nMIME-Version: 1.0\r\n"
    )
    return headers.encode() + multipart


def _posted() -> list[str]:
    """The text of each case message, its line ends aside."""
    return [m.body.replace("\r\n", "\n").strip() for m in Message.objects.order_by("pk")]


def _reason(row, rule="bad_signature") -> str:
    return next(r["reason"] for r in row.reasons if r["rule"] == rule)


def test_whole_body_cleartext_signature_posts_only_the_signed_text(project, alice, bob_gpg):
    signed = bob_gpg.clearsign("bob@suse.example", "Found while fuzzing.\n- a dashed line\n")
    row = deliver(mail(sender="bob@suse.example", body=f"\n{signed}\n\n"))
    assert row.state == Inbound.ACCEPTED
    assert _posted() == ["Found while fuzzing.\n- a dashed line"]
    sent = [m.body for m in OutgoingMessage.objects.filter(kind="case-message")]
    assert sent and all("Found while fuzzing." in b and "BEGIN PGP" not in b for b in sent)


def test_partly_signed_inline_mail_is_held(project, alice, bob_gpg):
    signed = bob_gpg.clearsign("bob@suse.example", "Found while fuzzing.\n")
    other = bob_gpg.clearsign("bob@suse.example", "Another thing.\n")
    for body in (
        f"Please also merge https://evil.example/patch\n\n{signed}",
        f"{signed}\nP.S. and publish it today.\n",
        f"{signed}\n{other}",
    ):
        row = deliver(mail(sender="bob@suse.example", body=body))
        assert row.state == Inbound.HELD, body
        assert "only part of the text is signed" in _reason(row)
    assert not OutgoingMessage.objects.filter(kind="case-message").exists()


def test_pgp_mime_signed_by_gnupg_posts_the_signed_part(project, alice, bob_gpg):
    row = deliver(_pgp_mime(bob_gpg, "The fix is in commit abc123.\n"))
    assert row.state == Inbound.ACCEPTED
    assert _posted() == ["The fix is in commit abc123."]


def test_pgp_mime_with_an_extra_unsigned_part_is_held(project, alice, bob_gpg):
    wrapped = _pgp_mime(bob_gpg, "The fix is in abc123.\n", wrap_with="Also run evil.sh.")
    message = EmailMessage()
    message["From"], message["To"] = "bob@suse.example", "security@libvirt.example"
    message["Subject"], message["Message-ID"] = "signed", make_msgid(domain="suse.example")
    message.set_content(bob_gpg.clearsign("bob@suse.example", "Signed.\n"))
    message.add_attachment(b"#!/bin/sh\nevil\n", "application", "x-sh", filename="fix.sh")
    for raw in (message.as_bytes(), wrapped):
        row = deliver(raw)
        assert row.state == Inbound.HELD
        assert "only one part of the message is signed" in _reason(row)
    assert not OutgoingMessage.objects.filter(kind="case-message").exists()


def test_replayed_signed_mail_is_held(project, alice, bob_gpg):
    signed = bob_gpg.clearsign("bob@suse.example", "Embargo ends on Tuesday.\n")
    first = deliver(mail(sender="bob@suse.example", body=signed))
    assert first.state == Inbound.ACCEPTED
    again = deliver(mail(sender="bob@suse.example", subject="Re: new", body=signed))
    assert again.state == Inbound.HELD
    assert _reason(again).endswith(f"came before, with inbound message #{first.pk}")
    pgp_mime = _pgp_mime(bob_gpg, "Patch attached.\n")
    assert deliver(pgp_mime).state == Inbound.ACCEPTED
    replay = pgp_mime.replace(b"Message-ID: <", b"Message-ID: <again.")
    assert "replayed" in _reason(deliver(replay))


def test_a_signature_older_than_the_policy_is_held(project, alice, bob_gpg):
    fresh = bob_gpg.clearsign("bob@suse.example", "Six days on the way.\n")
    stale = bob_gpg.clearsign("bob@suse.example", "Eight days on the way.\n")
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        assert deliver(mail(sender="bob@suse.example", body=fresh)).state == Inbound.ACCEPTED
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        row = deliver(mail(sender="bob@suse.example", body=stale))
    assert row.state == Inbound.HELD
    assert "signed 8 days ago" in _reason(row) and "up to 7 days old" in _reason(row)


def test_a_signature_by_a_key_bound_to_another_member_is_held(project, alice, bob, carol, gpg):
    do_add_member_key(gpg.new_key(carol.email), acting=carol)
    signed = gpg.clearsign("carol@debian.example", "Bob agrees to publish now.\n")
    row = deliver(mail(sender="bob@suse.example", body=signed))
    assert row.state == Inbound.HELD
    assert "the key of carol@debian.example" in _reason(row)
    assert any(r["rule"] == "claims_membership" for r in row.reasons)


def test_a_signature_by_a_key_bound_to_no_member_is_held(project, alice, bob_gpg, gpg):
    gpg.new_key("mallory@evil.example")
    signed = gpg.clearsign("mallory@evil.example", "trust me\n")
    row = deliver(mail(sender="bob@suse.example", body=signed))
    assert row.state == Inbound.HELD
    assert "does not verify with a key bound to a member" in _reason(row)


def test_a_replay_is_held_even_when_the_sites_mta_vouches_for_the_domain(project, alice, bob_gpg):
    project.trust_mta_authentication, project.mta_authserv_id = True, "mx.libvirt.example"
    project.save()
    signed = bob_gpg.clearsign("bob@suse.example", "Publish on Monday.\n")
    vouched = (
        b"Authentication-Results: mx.libvirt.example; dkim=pass header.d=suse.example\r\n"
        b"Received: from mail.suse.example by mx.libvirt.example; Mon, 2 Mar 2026\r\n"
    )
    assert deliver(vouched + mail(sender="bob@suse.example", body=signed)).state == (
        Inbound.ACCEPTED
    )
    replay = deliver(vouched + mail(sender="bob@suse.example", body=signed))
    assert replay.state == Inbound.HELD and "replayed" in _reason(replay)


def test_a_signature_made_after_the_key_expired_is_held(project, alice, bob, gpg):
    """A key bound while it was valid, which expired on 11 November: what it
    signed before counts, what it signed after does not."""
    project.policy.signature_max_age_days = 60
    project.policy.save()
    gpg("--faked-system-time", "20261101T000000", "--passphrase", "", "--quick-gen-key",
        "bob@suse.example", "ed25519", "sign", "never")  # fmt: skip
    before = gpg("--faked-system-time", "20261105T000000", "-u", "bob@suse.example",
                 "--clearsign", data=b"Before it expired.\n").decode()  # fmt: skip
    after = gpg("--faked-system-time", "20261125T000000", "-u", "bob@suse.example",
                "--clearsign", data=b"After it expired.\n").decode()  # fmt: skip
    listing = gpg("--with-colons", "--list-keys", "bob@suse.example").decode()
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if "fpr:" in line)
    gpg("--faked-system-time", "20261101T010000", "--quick-set-expire", fingerprint, "10d")
    MemberKey.objects.create(
        person=bob,
        fingerprint=fingerprint,
        armoured=gpg.public("bob@suse.example"),
        created_at=timezone.now(),
        expires_at=datetime(2026, 11, 11, 1, tzinfo=UTC),
    )
    assert deliver(mail(sender="bob@suse.example", body=before)).state == Inbound.ACCEPTED
    row = deliver(mail(sender="bob@suse.example", body=after))
    assert row.state == Inbound.HELD and "valid when it signed" in _reason(row)


def test_pgp_mime_whose_preamble_hides_the_signed_part_is_held(project, alice, bob_gpg):
    """A signature over text the member wrote elsewhere, hidden in the preamble
    behind a line that merely starts like the boundary: the part a mail reader
    shows is the attacker's."""
    elsewhere = _pgp_mime(bob_gpg, "Sure, ship it.\n")
    signed = elsewhere.split(b"--sig\r\n")[1].removesuffix(b"\r\n")
    signature = elsewhere.split(b"--sig\r\n")[2].split(b"\r\n--sig--")[0]
    forged = (
        b"From: bob@suse.example\r\nTo: security@libvirt.example\r\nSubject: ok\r\n"
        b"Message-ID: <forged.1@suse.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/signed; micalg=pgp-sha256;\r\n protocol="application/'
        b'pgp-signature"; boundary="sig"\r\n\r\n--sigfoo\r\n' + signed + b"\r\n--sigbar\r\n"
        b"--sig\r\nContent-Type: text/plain\r\n\r\nPublish the details today.\r\n"
        b"--sig\r\nContent-Type: application/pgp-signature\r\n\r\n" + signature + b"\r\n--sig--\r\n"
    )
    row = deliver(forged)
    assert row.state == Inbound.HELD
    assert not OutgoingMessage.objects.filter(kind="case-message").exists()


def _crc24(data: bytes) -> int:
    """The armour's checksum (RFC 9580 §6.1)."""
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def _unhashed_area_doubled(clearsigned: str) -> str:
    """The same cleartext signature with its unhashed subpackets written twice:
    still valid, other bytes — what anyone can do to a signature without the key."""
    head, _, rest = clearsigned.partition("-----BEGIN PGP SIGNATURE-----\n")
    armour, _, tail = rest.partition("-----END PGP SIGNATURE-----")
    lines = [line for line in armour.strip().splitlines() if line and ":" not in line]
    packet = base64.b64decode("".join(line for line in lines if not line.startswith("=")))
    # One v4 signature packet, as gpg writes it: an old-format header.
    assert not packet[0] & 0x40
    octets = {0: 1, 1: 2, 2: 4}[packet[0] & 3]
    body = packet[1 + octets : 1 + octets + int.from_bytes(packet[1 : 1 + octets], "big")]
    at = 6 + int.from_bytes(body[4:6], "big")
    size = int.from_bytes(body[at : at + 2], "big")
    unhashed = body[at + 2 : at + 2 + size] * 2
    body = body[:at] + len(unhashed).to_bytes(2, "big") + unhashed + body[at + 2 + size :]
    assert len(body) < 192
    packet = bytes([0xC2, len(body)]) + body
    text = base64.b64encode(packet).decode()
    check = base64.b64encode(_crc24(packet).to_bytes(3, "big")).decode()
    armoured = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    end = "-----END PGP SIGNATURE-----"
    return f"{head}-----BEGIN PGP SIGNATURE-----\n\n{armoured}\n={check}\n{end}{tail}"


def test_a_replay_re_encoded_without_the_key_is_held(project, alice, bob_gpg):
    signed = bob_gpg.clearsign("bob@suse.example", "Embargo ends on Tuesday.\n")
    assert deliver(mail(sender="bob@suse.example", body=signed)).state == Inbound.ACCEPTED
    for replay in (_unhashed_area_doubled(signed), signed.replace("\n", "\r\n")):
        assert replay != signed
        row = deliver(mail(sender="bob@suse.example", subject="A case of my own", body=replay))
        assert row.state == Inbound.HELD
        assert "replayed" in _reason(row)
