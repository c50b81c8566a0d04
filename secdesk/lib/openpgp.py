"""OpenPGP: the one place secdesk reads keys and checks signatures (pysequoia).

`signature(raw, message, keys)` answers whether a message is signed as a whole
by one of the given public keys, and how: the signer, when it signed, and a
digest that names the signature (to refuse it a second time). Only two shapes
count, so that what is distributed is exactly what was signed:

- PGP/MIME (RFC 3156): the message itself is multipart/signed, of two parts;
  the first, read from the very bytes that were verified, is what is distributed.
- Inline: the message is one text/plain part whose whole body (surrounding
  blank space aside) is one cleartext-signed block; the signed text, without
  the armour, is what is distributed.

A message with no signature gives None; a signature in any other shape, or one
that does not verify with the given keys, raises Unverified with the reason.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pysequoia

_BEGIN = re.compile(rb"^-----BEGIN PGP SIGNED MESSAGE-----\r?$", re.MULTILINE)
_SIGNATURE = re.compile(rb"^-----BEGIN PGP SIGNATURE-----\r?$", re.MULTILINE)
_END = re.compile(rb"^-----END PGP SIGNATURE-----\r?$", re.MULTILINE)


class Unverified(Exception):
    """Signed, but not in a way that makes the message its signer's."""


@dataclass(frozen=True)
class Signature:
    fingerprint: str  # the signer's certificate (primary key), 40 uppercase hex digits
    created: datetime
    # Names what was signed, by whom and when — not the signature's bytes, which
    # a replayer can change without the key (its unhashed area, or an ECDSA
    # signature's equivalent other form): the same signer, second and data are
    # the same signature, however it was re-encoded.
    digest: str
    data: bytes  # what was signed: the MIME part (PGP/MIME) or the text (inline)
    mime: bool


@dataclass(frozen=True)
class PublicKey:
    fingerprint: str
    expires_at: datetime | None
    armoured: str


def read_public_key(armoured: str) -> PublicKey:
    """One public key, usable now; ValueError saying what is wrong otherwise.
    Only its public part is kept, whatever was given."""
    if "PRIVATE KEY BLOCK" in armoured:
        raise ValueError("this is a secret key: give the public key only (gpg --export)")
    try:
        certs = pysequoia.Cert.split_bytes(armoured.encode())
    except Exception as err:
        raise ValueError("not an OpenPGP public key") from err
    if len(certs) != 1:
        raise ValueError(f"expected one OpenPGP public key, found {len(certs)}")
    [cert] = certs
    if cert.is_revoked:
        raise ValueError("this key is revoked")
    if cert.expiration is not None and cert.expiration <= datetime.now(UTC):
        raise ValueError(f"this key expired on {cert.expiration:%Y-%m-%d}")
    return PublicKey(cert.fingerprint.upper(), cert.expiration, str(cert))


def signed_part(raw: bytes, boundary: str) -> bytes:
    """The first part of a multipart/signed message exactly as it was signed:
    its bytes on the wire, with CRLF line ends (RFC 3156 §5). A delimiter is a
    whole line (RFC 2046 §5.1.1): "--sigX" in a preamble is not one for "sig"."""
    wire = re.sub(rb"\r?\n", b"\r\n", raw)
    body = b"\r\n" + wire[wire.index(b"\r\n\r\n") + 4 :]
    dashes = b"\r\n--" + re.escape(boundary.encode("ascii"))
    first = re.compile(dashes + rb"[ \t]*\r\n").search(body)
    end = first and re.compile(dashes + rb"(?:--)?[ \t]*\r\n").search(body, first.end() - 2)
    if end is None:
        raise ValueError("no signed part between two delimiters")
    return body[first.end() : end.start()]


def signature(raw: bytes, message, keys: list[str]) -> Signature | None:
    """The one signature over the whole message by one of `keys`; None when the
    message is not signed at all; Unverified when it is, but that does not count."""
    if message.get_content_type() == "multipart/signed":
        return _pgp_mime(raw, message, keys)
    if not message.is_multipart():
        return _inline(message, keys)
    for part in message.walk():
        if part.get_content_type() == "multipart/signed" or _BEGIN.search(_payload(part)):
            raise Unverified(
                "only one part of the message is signed; the other parts are not covered"
            )
    return None


def _payload(part) -> bytes:
    if part.is_multipart() or part.get_content_maintype() != "text":
        return b""
    return part.get_payload(decode=True) or b""


def _pgp_mime(raw: bytes, message, keys: list[str]) -> Signature:
    parts = message.get_payload()
    boundary = message.get_boundary()
    if (
        message.get_param("protocol", "").lower() != "application/pgp-signature"
        or not isinstance(parts, list)
        or len(parts) != 2
        or parts[1].get_content_type() != "application/pgp-signature"
        or not boundary
    ):
        raise Unverified("not PGP/MIME as RFC 3156 has it: a signed part and its signature")
    try:
        data = signed_part(raw, boundary)
        sig = pysequoia.Sig.from_bytes(parts[1].get_payload(decode=True) or b"")
    except Exception as err:
        raise Unverified("the PGP/MIME signature cannot be read") from err
    try:
        result = pysequoia.verify(bytes=data, store=_store(keys), signature=sig)
    except Exception as err:
        raise Unverified(_NO_KEY) from err
    return _signature(result, sig, data, mime=True)


def _inline(message, keys: list[str]) -> Signature | None:
    if message.get_content_type() != "text/plain":
        return None
    body = _payload(message)
    if not _BEGIN.search(body):
        return None
    whole = body.strip()
    if (
        len(_BEGIN.findall(whole)) != 1
        or len(_END.findall(whole)) != 1
        or not _BEGIN.match(whole)
        or not whole.endswith(b"-----END PGP SIGNATURE-----")
    ):
        raise Unverified(
            "only part of the text is signed: text outside the signed block, or several blocks"
        )
    try:
        sig = pysequoia.Sig.from_bytes(whole[_SIGNATURE.search(whole).start() :])
    except Exception as err:
        raise Unverified("the inline signature cannot be read") from err
    try:
        result = pysequoia.verify(bytes=whole, store=_store(keys))
    except Exception as err:
        raise Unverified(_NO_KEY) from err
    return _signature(result, sig, result.bytes or b"", mime=False)


_NO_KEY = (
    "the signature does not verify with a key bound to a member who may write here "
    "and valid when it signed"
)


def _store(keys: list[str]):
    certs = []
    for key in keys:
        try:
            certs.append(pysequoia.Cert.from_bytes(key.encode()))
        except Exception:  # noqa: S112 - a broken key on file signs nothing
            continue
    return lambda _ids: certs


def _names(fingerprint: str, created: datetime, data: bytes, *, mime: bool) -> str:
    if not mime:
        # A cleartext signature holds whatever the line ends and the blanks at
        # their ends (RFC 9580 §7.1): so does the name of what it signed.
        data = b"\n".join(line.rstrip(b" \t") for line in data.splitlines())
    signed = hashlib.sha256(data).hexdigest()
    return hashlib.sha256(f"{fingerprint}:{created.isoformat()}:{signed}".encode()).hexdigest()


def _signature(result, sig, data: bytes, *, mime: bool) -> Signature:
    """The one valid signature, which must be the one read from the message
    (sequoia checked it against the key as it was when it signed: a key that
    had expired or was revoked then makes it invalid)."""
    valid = result.valid_sigs
    if len(valid) != 1 or sig.created is None:
        raise Unverified("expected exactly one signature, with its creation time")
    issuer = (sig.issuer_fingerprint or "").upper()
    if issuer and issuer != valid[0].signing_key.upper():
        raise Unverified("expected exactly one signature, with its creation time")
    return Signature(
        fingerprint=valid[0].certificate.upper(),
        created=sig.created,
        digest=_names(valid[0].certificate.upper(), sig.created, data, mime=mime),
        data=data,
        mime=mime,
    )
