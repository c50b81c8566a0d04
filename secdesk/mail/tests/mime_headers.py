"""Hypothesis strategies for the headers of mail as it arrives (see
`mime_strategies`): senders real, forged and impossible, RFC 2047 encoded
words valid and broken, filenames as programs write them, huge headers,
NULs, bare CRs and 8-bit bytes where none belong.

Each strategy gives bytes with "\\n" line ends; a folded header is "\\n "."""

import base64
import binascii

from hypothesis import strategies as st

CHARSETS = ["utf-8", "iso-8859-1", "windows-1252", "shift_jis", "koi8-r", "gb2312", "utf-16"]
ODD_CHARSETS = ["x-unknown", "rot13", "zlib", "unicode_escape", "undefined", "", "utf-8*en"]

# Header text: any character but the line ends, which would end the header.
HEADER_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"), max_size=60
)
# Bytes for a header's value: anything but a line end.
HEADER_BYTES = st.binary(max_size=60).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


@st.composite
def encoded_words(draw) -> bytes:
    """RFC 2047 encoded words: right, in a charset that may not exist, or
    broken (bad base64, bad hex, never closed, CR LF or NUL inside)."""
    text = draw(st.one_of(HEADER_TEXT, st.just("x\r\nBcc: victim@example.org"), st.just("\x00")))
    charset = draw(st.sampled_from(CHARSETS + ODD_CHARSETS))
    try:
        data = text.encode(charset, "replace")
    except (LookupError, TypeError, UnicodeError):
        data = text.encode("utf-8")
    how = draw(st.sampled_from(["B", "Q", "b", "q"]))
    if how in "Bb":
        payload = base64.b64encode(data)
    else:
        payload = b"".join(
            bytes([c]) if chr(c).isalnum() else b"=" + binascii.hexlify(bytes([c])).upper()
            for c in data
        )
    broken = draw(st.sampled_from(["none"] * 4 + ["padding", "junk", "open", "hex", "split"]))
    if broken == "padding":
        payload = payload.rstrip(b"=")[:-1]
    elif broken == "junk":
        payload += b"!*?"
    elif broken == "hex":
        payload += b"=ZZ="
    word = b"=?" + charset.encode() + b"?" + how.encode() + b"?" + payload + b"?="
    if broken == "open":
        word = word[:-2]
    if broken == "split":
        # One character's bytes across two words, folded.
        word = word[: len(word) // 2] + b"?=\n =?" + charset.encode() + b"?" + how.encode() + b"?"
        word += payload[len(payload) // 2 :] + b"?="
    return word


TEXTS = st.one_of(
    HEADER_TEXT.map(lambda t: t.encode("utf-8")),  # raw 8-bit UTF-8 (RFC 6532)
    HEADER_TEXT.map(lambda t: t.encode("latin-1", "replace")),  # raw 8-bit, not UTF-8
    st.lists(encoded_words(), min_size=1, max_size=3).map(b" ".join),
    HEADER_BYTES,
)


def _named(name: bytes, address: bytes) -> bytes:
    return name + b" <" + address + b">"


ADDRESSES = st.one_of(
    st.sampled_from(
        [
            b"finder@research.example",
            b"Finder <finder@research.example>",
            b'"Doe, John" <john@research.example>',
            b"bob@suse.example",  # a member's address, and nothing to prove it
            "Jürgen <jürgen@uni.example>".encode(),
            b"undisclosed-recipients:;",
            b"<<>>@@",
            b"a@",
            b"",
            b"first@a.example, second@b.example",
            b"finder@research.example (a comment \x00 with a NUL)",
            b"finder@research.example\x00evil@example.org",
            b"=?utf-8?q?bob=40suse=2Eexample?=",
            b"MAILER-DAEMON@research.example",
        ]
    ),
    st.builds(_named, TEXTS, st.just(b"finder@research.example")),
    HEADER_BYTES,
)
# No From at all, too: the envelope sender is the reporter.
SENDERS = st.one_of(st.none(), ADDRESSES)

MAIL_FROMS = st.sampled_from(
    [
        "finder@research.example",
        "",  # a bounce
        "jürgen@uni.example",
        "finder\x00@research.example",
        "x" * 600 + "@research.example",
        "<>@research.example",
    ]
)


@st.composite
def filenames(draw) -> bytes:
    """A filename parameter: plain, RFC 2231 (in pieces, too), an encoded word,
    raw 8-bit, a path, a NUL, very long, or empty."""
    return draw(
        st.sampled_from(
            [
                b'filename="poc.bin"',
                b"filename*=utf-8''%E2%82%AC%20poc.txt",
                b"filename*0*=utf-8''L%C3%BC; filename*1=cke.txt",
                b'filename="=?utf-8?b?TMO8Y2tlLnR4dA==?="',
                'filename="Lücke.txt"'.encode(),
                b'filename="L\xfccke.txt"',
                b'filename="../../etc/passwd"',
                b'filename="poc\x00.exe"',
                b'filename="' + b"a" * 1000 + b'.txt"',
                b'filename=""',
                b"filename=poc with spaces.c",
                b"filename*=x-unknown''%FF%FE",
            ]
        )
    )


def armour(kind: str, data: bytes, comment: str = "") -> bytes:
    """OpenPGP armour around `data`: looks like it, verifies nothing."""
    lines = [f"-----BEGIN PGP {kind}-----".encode()]
    if comment:
        lines.append(f"Comment: {comment}".encode())
    lines.append(b"")
    encoded = base64.b64encode(data)
    lines += [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
    lines += [b"=" + base64.b64encode(b"\x01\x02\x03"), f"-----END PGP {kind}-----".encode()]
    return b"\n".join(lines) + b"\n"


MESSAGE_IDS = st.one_of(
    st.none(),
    st.integers(0, 10**12).map(lambda n: f"<fuzz.{n}@research.example>".encode()),
    st.sampled_from(
        [
            b"<>",
            b"not an id",
            b"<" + b"x" * 2000 + b"@research.example>",
            b"=?utf-8?q?=3Cid=0D=0ABcc=3A_x=3E?=",
            "<jürgen.1@uni.example>".encode(),
            b"<a@b> <c@d>",
        ]
    ),
)


def _thread_of(length: int) -> bytes:
    return b"\n ".join(b"<r%d@lists.example>" % n for n in range(length))


# A thread as long as they come: a lookup of every Message-ID in it.
REFERENCES = st.one_of(
    st.lists(MESSAGE_IDS, max_size=5).map(lambda ids: b"\n ".join(i for i in ids if i)),
    st.integers(500, 3000).map(_thread_of),
)


@st.composite
def top_headers(draw, senders=SENDERS, mail_from_header: bool = False) -> list[bytes]:
    """The headers a message starts with: From, To, Subject, Message-ID and
    what the rules read, each perhaps missing, odd or forged."""
    lines = []
    how = draw(st.sampled_from(["none", "none", "member", "any"]))
    if how != "none":
        # Our MTA's verdict, as it writes it on top (for a member, so that the
        # mail is hers), or as a sender forges it.
        result = draw(st.sampled_from([b"pass", b"fail", b"none", b"pass (forged)"]))
        domain = draw(st.sampled_from([b"suse.example", b"research.example", b"co.uk", b""]))
        server = draw(st.sampled_from([b"mx.libvirt.example", b"mx.evil.example", b""]))
        verdict = b"; dkim=" + result + b" header.d=" + domain
        if how == "member":
            server, verdict = b"mx.libvirt.example", b"; dkim=pass header.d=suse.example"
        lines.append(b"Authentication-Results: " + server + verdict)
        lines.append(b"Received: from mail.example by mx.libvirt.example; 2 Mar 2026 10:00 +0000")
        if how == "member" and draw(st.booleans()):
            senders = st.just(b"Bob <bob@suse.example>")
    sender = draw(senders)
    if sender is not None:
        lines.append(b"From: " + sender)
    lines.append(b"To: security@libvirt.example")
    subject = draw(st.one_of(st.none(), TEXTS))
    if subject is not None:
        lines.append(b"Subject: " + subject)
    message_id = draw(MESSAGE_IDS)
    if message_id is not None:
        lines.append(b"Message-ID: " + message_id)
    for name, values in (
        (b"In-Reply-To", MESSAGE_IDS),
        (b"References", REFERENCES),
        (b"Date", st.sampled_from([b"Mon, 2 Mar 2026 10:00:00 +0000", b"yesterday", b""])),
        (b"Auto-Submitted", st.sampled_from([b"auto-replied", b"no", b""])),
        (b"Precedence", st.sampled_from([b"bulk", b"list", b"first-class"])),
        (b"List-Id", st.just(b"<oss-security.lists.openwall.com>")),
        (b"X-Spam-Flag", st.sampled_from([b"YES", b"NO"])),
        (b"Reply-To", ADDRESSES),
        (b"Sender", ADDRESSES),
    ):
        if draw(st.integers(0, 5)) == 0:
            value = draw(values)
            if value is not None:
                lines.append(name + b": " + value)
    return lines


@st.composite
def odd_headers(draw) -> tuple[list[bytes], bool]:
    """Headers no sender should write: huge, with a NUL, 8-bit, folded oddly;
    and some that end the header block early (a bare CR, a line that is no
    header). Returns the lines and whether the message's structure survives them."""
    lines, intact = [], True
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(
            st.sampled_from(
                ["huge", "folded", "nul", "8bit", "empty", "bare-cr", "no-colon", "dup"]
            )
        )
        if kind == "huge":
            size = draw(st.integers(1000, 200_000))
            lines.append(b"X-Huge: " + b"a" * size)
        elif kind == "folded":
            lines.append(b"X-Folded: " + b"\n ".join([b"word"] * draw(st.integers(1, 5000))))
        elif kind == "nul":
            lines.append(b"X-Nul: before\x00after")
        elif kind == "8bit":
            lines.append(b"X-Latin: " + draw(HEADER_BYTES) + b"\xe9\xff")
        elif kind == "empty":
            lines.append(b"X-Empty:")
        else:
            # A bare CR ends the line, and the rest is no header; a line with
            # no colon ends the headers; a second Content-Type comes first.
            lines.append(
                {
                    "bare-cr": b"X-Cr: one\rtwo",
                    "no-colon": b"this line is no header",
                    "dup": b"Content-Type: text/plain; charset=utf-8",
                }[kind]
            )
            intact = False
    return lines, intact
