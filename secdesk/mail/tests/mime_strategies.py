"""Hypothesis strategies for mail as it arrives: MIME trees, well formed and
broken, for the intake's fuzz tests (`test_fuzz_intake.py`).

`mails()` draws a `Mail`: the bytes a sender hands over, and the markers a
reader must be able to reach in them. Each part carries a marker, an ASCII
word, so that any charset that keeps ASCII keeps it too; a marker is
expected only where the part's bytes decode as its headers declare (a known
charset, the transfer encoding it names) and the message's structure is the
one built (its boundaries right, no byte of it mangled). Everything else —
wrong charsets, broken encoded words, lost boundaries, NULs, bare CR or LF,
huge or 8-bit headers, forged ones — is drawn too, and only has to be kept.

The parts are built as header lines and a body with "\\n" line ends; the
message's line ends (CRLF, LF) are chosen last, as a sender's MTA would.
"""

import base64
import codecs
import quopri
import warnings
from dataclasses import dataclass, field

from hypothesis import strategies as st

from secdesk.mail.tests import mime_headers as headers

# Charsets a part's bytes may be written in, and what a header may declare
# besides: aliases, charsets Python does not know, codecs that are not text
# encodings at all, and nonsense.
WRITTEN_IN = [
    "us-ascii",
    "utf-8",
    "iso-8859-1",
    "windows-1252",
    "iso-8859-15",
    "koi8-r",
    "shift_jis",
    "euc-jp",
    "iso-2022-jp",
    "gb2312",
    "big5",
    "utf-7",
]
DECLARED_ONLY = [
    "utf-16",
    "utf-32",
    "latin1",
    "UTF8",
    "x-unknown",
    "unicode-1-1-utf-7",
    "cp65001",
    "rot13",
    "zlib",
    "base64",
    "unicode_escape",
    "idna",
    "undefined",
    "",
    "utf-8'en'",
    "\x00utf-8",
    '"utf-8"',
]
TRANSFER_ENCODINGS = ["7bit", "8bit", "binary", "base64", "quoted-printable"]
ODD_TRANSFER_ENCODINGS = ["x-uuencode", "8bits", "base-64", "Quoted-Printable ", "x-gzip64", ""]
ODD_CONTENT_TYPES = [
    'Content-Type: ;;;="',
    "Content-Type: /",
    "Content-Type: text/",
    "Content-Type: text/plain; charset*=utf-8''%FF%FE",
    "Content-Type: text/plain; charset*=x''",
    'Content-Type: text/plain; charset="utf-8"; charset=koi8-r',
    "Content-Type: text/plain; charset=" + "u" * 5000,
    "Content-Type: multipart/mixed",
    "Content-Type: message/rfc822",
]
BOUNDARY_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'()+_,-./:=? "

# Text as people write it: every script, emoji, control and format characters
# (bidirectional overrides, zero-width spaces), NUL; no lone surrogates, which
# no charset can write.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=120)


@dataclass
class Part:
    """A MIME part as built: its header lines, its body (both with "\\n" line
    ends), the markers a reader must reach in it, and whether its structure is
    the one declared."""

    lines: list[bytes]
    body: bytes
    markers: set[str] = field(default_factory=set)
    intact: bool = True

    def bytes(self) -> bytes:
        return b"\n".join(self.lines) + b"\n\n" + self.body


@dataclass(frozen=True)
class Mail:
    """What a sender hands over, and the markers a reader must reach in it
    (none when its structure was broken on purpose)."""

    raw: bytes
    markers: frozenset[str]


@st.composite
def markers(draw) -> str:
    return f"mark{draw(st.integers(0, 10**8)):08d}q"


def decodes_to(data: bytes, declared: str, marker: str) -> bool:
    """Whether `data`, read in the `declared` charset, keeps `marker`; for a
    charset no one knows, whether the marker is there as ASCII (the only
    reading that can be asked of a reader)."""
    try:
        codecs.lookup(declared)
        with warnings.catch_warnings(action="ignore"):  # unicode_escape's about "\\q"
            return marker in data.decode(declared, "replace")
    except (LookupError, UnicodeError, TypeError, ValueError):
        return marker.encode() in data


@st.composite
def transfer_encoded(draw, data: bytes) -> tuple[list[bytes], bytes, bool]:
    """`data` under a Content-Transfer-Encoding: its header line, the body, and
    whether the body decodes back to `data` as declared (right, absent, or
    unknown and so read as it is) or not (declared and not done)."""
    kind = draw(st.sampled_from(["right", "right", "right", "odd", "wrong"]))
    if kind == "odd":
        name = draw(st.sampled_from(ODD_TRANSFER_ENCODINGS))
        return [b"Content-Transfer-Encoding: " + name.encode()], data, name.strip() != "x-uuencode"
    name = draw(st.sampled_from(TRANSFER_ENCODINGS))
    if kind == "wrong":
        # Declared and not done, or done twice.
        body = base64.encodebytes(data) if name != "base64" else data
        return [b"Content-Transfer-Encoding: " + name.encode()], body, False
    if name == "base64":
        body = base64.encodebytes(data)
    elif name == "quoted-printable":
        body = quopri.encodestring(data.replace(b"\r\n", b"\n"))
    else:
        body = data
    header = (
        []
        if name == "7bit" and draw(st.booleans())
        else [b"Content-Transfer-Encoding: " + name.encode()]
    )
    return header, body, True


@st.composite
def text_part(draw, marker: str | None = None, subtypes=("plain", "html", "x-diff")) -> Part:
    """A text part: plain, HTML or a patch, its words in one charset, declared
    as that charset or as another, under some transfer encoding."""
    marker = marker or draw(markers())
    subtype = draw(st.sampled_from(subtypes))
    words = f"{draw(TEXT)} {marker} {draw(TEXT)}"
    if subtype == "html":
        words = f"<html><body><p>{words}</p></body></html>"
    written_in = draw(st.sampled_from(WRITTEN_IN))
    declared = draw(st.one_of(st.just(written_in), st.sampled_from(WRITTEN_IN + DECLARED_ONLY)))
    data = words.encode(written_in, "replace")
    cte, body, decodes = draw(transfer_encoded(data))
    content_type = f"Content-Type: text/{subtype}"
    if declared or draw(st.booleans()):
        content_type += f"; charset={declared}"
    readable = decodes and decodes_to(data, declared or "us-ascii", marker)
    if draw(st.integers(0, 9)) == 0:
        # A Content-Type no parser can be sure of.
        content_type = draw(st.sampled_from(ODD_CONTENT_TYPES))
        readable = False
    lines = [content_type.encode(), *cte, *draw(disposition(inline_too=True))]
    return Part(lines, body, {marker} if readable else set())


@st.composite
def disposition(draw, inline_too: bool) -> list[bytes]:
    """A Content-Disposition, with a filename as people and programs write it."""
    kinds = ["attachment", "inline", None] if inline_too else ["attachment", None]
    kind = draw(st.sampled_from(kinds))
    if kind is None:
        return []
    name = draw(st.one_of(st.none(), headers.filenames()))
    if name is None:
        return [f"Content-Disposition: {kind}".encode()]
    return [f"Content-Disposition: {kind}; ".encode() + name]


@st.composite
def binary_part(draw) -> Part:
    """A file: a proof of concept, an image, a PDF, a tarball."""
    marker = draw(markers())
    content_type = draw(
        st.sampled_from(
            ["application/octet-stream", "image/png", "application/pdf", "application/x-tar"]
        )
    )
    data = draw(st.binary(max_size=60)) + marker.encode() + draw(st.binary(max_size=60))
    cte, body, decodes = draw(transfer_encoded(data))
    lines = [f'Content-Type: {content_type}; name="poc"'.encode(), *cte]
    lines += draw(disposition(inline_too=False))
    return Part(lines, body, {marker} if decodes else set())


@st.composite
def openpgp_parts(draw, signer=None) -> Part:
    """What OpenPGP mail looks like from outside: an inline cleartext-signed
    text (signed by `signer`, if given, or armour around nothing), an
    encrypted PGP/MIME message, an armoured key."""
    marker = draw(markers())
    armoured = headers.armour("MESSAGE", draw(st.binary(max_size=80)), comment=marker)
    kind = draw(st.sampled_from(["inline", "encrypted", "key", "armour-only"]))
    if kind == "inline":
        words = f"{draw(TEXT)} {marker}".encode()
        if signer is not None and draw(st.booleans()):
            text = signer(words, clear=True)
        else:
            signature = headers.armour("SIGNATURE", draw(st.binary(max_size=60)))
            text = b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + words + b"\n"
            text += signature
        charset = draw(st.sampled_from(["utf-8", "koi8-r", "x-unknown", "\x00utf-8"]))
        return Part([f"Content-Type: text/plain; charset={charset}".encode()], text, {marker})
    if kind == "key":
        key = headers.armour("PUBLIC KEY BLOCK", draw(st.binary(max_size=80)), comment=marker)
        lines = [b'Content-Type: application/pgp-keys; name="key.asc"']
        return Part(lines, key, {marker})
    if kind == "armour-only":
        return Part([b"Content-Type: text/plain"], armoured, {marker})
    version = Part([b"Content-Type: application/pgp-encrypted"], b"Version: 1\n")
    named = draw(st.sampled_from([b"", b'; name="encrypted.asc"']))
    blob = Part([b"Content-Type: application/octet-stream" + named], armoured, {marker})
    return multipart_of(
        draw, "e", "encrypted", [version, blob], params='; protocol="application/pgp-encrypted"'
    )


@st.composite
def boundaries(draw, level: str) -> str:
    # Never the boundary of a multipart around it (whose level differs): a
    # boundary that occurs in a part's text is a broken message, drawn on
    # purpose below, not by chance here.
    return draw(st.text(BOUNDARY_CHARS, max_size=40)).strip() + f"=_{level}_{draw(markers())}"


def multipart_of(draw, level: str, subtype: str, children: list[Part], params: str = "") -> Part:
    """A multipart of `children`, its boundary drawn (in RFC 2231 pieces, too),
    and sometimes broken: missing from the header, not the one the delimiters
    use, never closed, or occurring in a part's text."""
    boundary = draw(boundaries(level))
    broken = draw(
        st.sampled_from(
            ["none"] * 5
            + ["pieces", "missing", "other", "unclosed", "in-text", "unquoted", "empty"]
        )
    )
    declared = {"missing": None, "empty": ""}.get(broken, boundary)
    used = "other" + boundary if broken == "other" else boundary
    header = f"Content-Type: multipart/{subtype}{params}"
    if broken == "pieces":
        half = len(boundary) // 2
        header += f'; boundary*0="{boundary[:half]}"; boundary*1="{boundary[half:]}"'
    elif declared is not None:
        header += f"; boundary={declared}" if broken == "unquoted" else f'; boundary="{declared}"'
    preamble = draw(st.sampled_from([b"", b"This is a multi-part message in MIME format.\n"]))
    body = preamble
    for child in children:
        body += f"--{used}\n".encode() + child.bytes() + b"\n"
        if broken == "in-text":
            body += f"--{used}\n".encode()
    if broken != "unclosed":
        body += f"--{used}--\n".encode()
    body += draw(st.sampled_from([b"", b"epilogue\n"]))
    # An unquoted boundary with a space or one of ()<>@,;:\"/[]?= is not one.
    intact = broken in ("none", "pieces") or (broken == "unquoted" and boundary.isalnum())
    intact = intact and all(child.intact for child in children)
    found = set().union(*(child.markers for child in children)) if children else set()
    return Part([header.encode()], body, found, intact)


@st.composite
def alternative(draw, depth: int) -> Part:
    """The same text as plain and as HTML (perhaps with the images the HTML
    shows): one marker for all the texts, to be reached when every one of
    them can be read; the images' own."""
    marker = draw(markers())
    texts = draw(st.lists(text_part(marker, ("plain", "html")), min_size=1, max_size=3))
    children, files = list(texts), set()
    if draw(st.booleans()):
        html, image = draw(text_part(marker, ("html",))), draw(binary_part())
        related = multipart_of(draw, f"{depth}r", "related", [html, image])
        children.append(related)
        texts.append(html)
        files = image.markers if related.intact else set()
    part = multipart_of(draw, str(depth), "alternative", children)
    readable = all(text.markers for text in texts)
    part.markers = ({marker} if readable else set()) | files if part.intact else set()
    return part


@st.composite
def signed(draw, depth: int, signer=None) -> Part:
    """PGP/MIME signed: its first part, and a signature, real (by `signer`, if
    given) or armour around nothing."""
    content = draw(tree(depth - 1))
    if signer is not None and draw(st.booleans()):
        signature = signer(content.bytes().replace(b"\n", b"\r\n"), clear=False)
    else:
        signature = headers.armour("SIGNATURE", draw(st.binary(max_size=60)))
    sig = Part([b"Content-Type: application/pgp-signature"], signature)
    params = '; micalg=pgp-sha512; protocol="application/pgp-signature"'
    signed = multipart_of(draw, str(depth), "signed", [content, sig], params)
    signed.markers = content.markers if signed.intact else set()
    return signed


@st.composite
def forwarded(draw, depth: int) -> Part:
    """A message inside the message: a forwarded report."""
    inner = draw(tree(depth - 1))
    lines = draw(headers.top_headers(mail_from_header=True))
    message = Part(lines + inner.lines, inner.body, inner.markers, inner.intact)
    return Part([b"Content-Type: message/rfc822"], message.bytes(), message.markers, inner.intact)


def tree(depth: int = 3, signer=None) -> st.SearchStrategy[Part]:
    """A MIME tree at most `depth` multiparts deep."""
    leaves = st.one_of(text_part(), text_part(), binary_part(), openpgp_parts(signer))
    if depth <= 0:
        return leaves
    nested = st.deferred(lambda: tree(depth - 1, signer))

    @st.composite
    def mixed(draw) -> Part:
        subtype = draw(st.sampled_from(["mixed", "mixed", "related", "digest", "report"]))
        return multipart_of(draw, str(depth), subtype, draw(st.lists(nested, max_size=4)))

    return st.one_of(
        leaves,
        mixed(),
        alternative(depth),
        signed(depth, signer),
        forwarded(depth),
    )


@st.composite
def mails(draw, signer=None, senders=headers.SENDERS) -> Mail:
    """A whole message: top headers (some of them odd, forged or broken), a
    MIME tree, line ends, and perhaps bytes mangled after the fact."""
    body = draw(tree(signer=signer))
    top = draw(headers.top_headers(senders=senders))
    odd, intact = draw(headers.odd_headers())
    raw = Part(top + odd + [b"MIME-Version: 1.0", *body.lines], body.body).bytes()
    raw = raw.replace(b"\n", draw(st.sampled_from([b"\r\n", b"\n"])))
    raw, untouched = draw(mangled(raw))
    intact = intact and untouched and body.intact
    return Mail(raw, frozenset(body.markers) if intact else frozenset())


@st.composite
def mangled(draw, raw: bytes) -> tuple[bytes, bool]:
    """Bytes changed after the message was written: a NUL, a bare CR or LF,
    8-bit bytes, the end cut off. Returns the bytes and whether they are as written."""
    how = draw(st.sampled_from(["none"] * 5 + ["insert", "cut", "mixed-ends"]))
    if how == "none":
        return raw, True
    if how == "mixed-ends":
        # Some lines end in CRLF, others in LF (a message pasted together).
        return raw.replace(b"\r\n", b"\n").replace(b"\n\n", b"\r\n\n", 1), True
    at = draw(st.integers(0, len(raw)))
    if how == "cut":
        return raw[:at], False
    junk = draw(st.sampled_from([b"\x00", b"\r", b"\n", b"\xff\xfe", b"\x1b[31m", b"\r\n.\r\n"]))
    return raw[:at] + junk + raw[at:], False
