"""OpenPGP signatures on mail: the one place secdesk checks them.

`signer(raw, message, keys)` answers which of the given public keys made a valid
signature over the message — PGP/MIME (RFC 3156) or an inline cleartext
signature — or None. pysequoia does the work; python-gnupg (with a throwaway
keyring) stands in where pysequoia is not available.
"""

import re
import tempfile

try:
    import pysequoia
except ImportError:  # pragma: no cover - the fallback is for hosts without the wheel
    pysequoia = None

_CLEARTEXT = re.compile(
    r"-----BEGIN PGP SIGNED MESSAGE-----\r?\n.*?-----END PGP SIGNATURE-----", re.DOTALL
)


def fingerprint_of(armoured_key: str) -> str:
    """The primary key's fingerprint (40 uppercase hex digits); ValueError if no key."""
    if pysequoia is not None:
        try:
            return pysequoia.Cert.from_bytes(armoured_key.encode()).fingerprint.upper()
        except Exception as err:
            raise ValueError("not an OpenPGP public key") from err
    with _gpg() as gpg:
        result = gpg.import_keys(armoured_key)
        if not result.fingerprints:
            raise ValueError("not an OpenPGP public key")
        return result.fingerprints[0].upper()


def signed_part(raw: bytes, boundary: str) -> bytes:
    """The first part of a multipart/signed message exactly as it was signed:
    its bytes on the wire, with CRLF line ends (RFC 3156 §5)."""
    wire = re.sub(rb"\r?\n", b"\r\n", raw)
    body = b"\r\n" + wire[wire.index(b"\r\n\r\n") + 4 :]
    delimiter = b"\r\n--" + boundary.encode("ascii")
    first = body.index(delimiter)
    start = body.index(b"\r\n", first + len(delimiter)) + 2
    return body[start : body.index(delimiter, start)]


def signer(raw: bytes, message, keys: list[str]) -> str | None:
    """The fingerprint (uppercase) of the key among `keys` that signed the
    message, or None when there is no valid signature by any of them."""
    if not keys:
        return None
    if (
        message.get_content_type() == "multipart/signed"
        and message.get_param("protocol", "").lower() == "application/pgp-signature"
    ):
        parts = message.get_payload()
        boundary = message.get_boundary()
        if not isinstance(parts, list) or len(parts) != 2 or not boundary:
            return None
        try:
            data = signed_part(raw, boundary)
        except ValueError:
            return None
        signature = parts[1].get_payload(decode=True) or b""
        return _verify(data, signature, keys)
    body = message.get_body(preferencelist=("plain",))
    if body is None:
        return None
    try:
        text = body.get_content()
    except (LookupError, UnicodeError):
        return None
    found = _CLEARTEXT.search(text)
    if found is None:
        return None
    return _verify(found.group(0).encode("utf-8"), None, keys)


def _verify(data: bytes, signature: bytes | None, keys: list[str]) -> str | None:
    if pysequoia is not None:
        return _verify_sequoia(data, signature, keys)
    return _verify_gnupg(data, signature, keys)


def _verify_sequoia(data: bytes, signature: bytes | None, keys: list[str]) -> str | None:
    certs = []
    for key in keys:
        try:
            certs.append(pysequoia.Cert.from_bytes(key.encode()))
        except Exception:  # noqa: S112 - a member's broken key is just not a signer
            continue
    try:
        if signature is None:
            result = pysequoia.verify(bytes=data, store=lambda _ids: certs)
        else:
            sig = pysequoia.Sig.from_bytes(signature)
            result = pysequoia.verify(bytes=data, store=lambda _ids: certs, signature=sig)
    except Exception:
        # pysequoia raises when no signature verifies (bad, unknown key, garbled).
        return None
    for valid in result.valid_sigs:
        return valid.certificate.upper()
    return None


class _gpg:
    """A python-gnupg instance on a keyring that lives only as long as the check."""

    def __enter__(self):
        import gnupg

        self.home = tempfile.TemporaryDirectory(prefix="secdesk-gpg-")
        return gnupg.GPG(gnupghome=self.home.name)

    def __exit__(self, *exc):
        self.home.cleanup()


def _verify_gnupg(data: bytes, signature: bytes | None, keys: list[str]) -> str | None:
    with _gpg() as gpg:
        for key in keys:
            gpg.import_keys(key)
        if signature is None:
            verified = gpg.verify(data)
        else:
            with tempfile.NamedTemporaryFile(suffix=".asc") as sig_file:
                sig_file.write(signature)
                sig_file.flush()
                verified = gpg.verify_data(sig_file.name, data)
        if not verified.valid:
            return None
        return (verified.pubkey_fingerprint or verified.fingerprint or "").upper() or None
