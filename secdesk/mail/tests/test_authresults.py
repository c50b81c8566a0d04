"""DKIM alignment on organizational domains, and Authentication-Results read by
a real parser: what the site's MTA says counts only when it says it plainly."""

from email import message_from_bytes, policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secdesk.mail import authresults
from secdesk.mail.authresults import aligned, dkim_pass_for


@pytest.mark.parametrize(
    ("signing", "sender"),
    [
        ("suse.example", "suse.example"),
        ("mail.example.co.uk", "example.co.uk"),
        ("example.co.uk", "mail.example.co.uk"),
        ("eu.mail.example.org", "lists.example.org"),
        ("Example.ORG.", "example.org"),
    ],
)
def test_a_signing_domain_of_the_same_organization_is_aligned(signing, sender):
    assert aligned(signing, sender)


@pytest.mark.parametrize(
    ("signing", "sender"),
    [
        ("evil.example", "suse.example"),
        # A public suffix is nobody's organization: signing for co.uk vouches
        # for no one under it.
        ("co.uk", "example.co.uk"),
        ("other.co.uk", "example.co.uk"),
        ("someone.github.io", "project.github.io"),
    ],
)
def test_a_signing_domain_of_another_organization_is_not_aligned(signing, sender):
    assert not aligned(signing, sender)


def _message(*results: str) -> object:
    headers = "".join(f"Authentication-Results: {r}\r\n" for r in results)
    raw = f"{headers}Received: by mx.example.org\r\nFrom: a@example.co.uk\r\n\r\nhi\r\n"
    return message_from_bytes(raw.encode(), policy=policy.default)


def test_a_pass_with_comments_and_other_methods_is_read():
    message = _message(
        "mx.example.org (our MTA); spf=pass smtp.mailfrom=example.co.uk;"
        " dkim=pass (2048-bit key) header.d=mail.example.co.uk header.s=k1"
    )
    assert dkim_pass_for(message, "a@example.co.uk", "mx.example.org")


def test_a_header_that_cannot_be_parsed_counts_for_nothing():
    message = _message("mx.example.org; dkim=pass header.d=example.co.uk ;;; ==")
    assert not dkim_pass_for(message, "a@example.co.uk", "mx.example.org")


_WS = st.sampled_from([" ", "  ", "\t", " \t "])
_OPT_WS = st.sampled_from(["", " ", "\t"])
_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)
_DOMAIN = st.lists(_LABEL, min_size=1, max_size=3).map(".".join)
_VALUE = st.one_of(
    _DOMAIN,
    st.builds("{}@{}".format, _LABEL, _DOMAIN),
    _DOMAIN.map("@{}".format),
    st.from_regex(r"[A-Za-z0-9+_.-]{1,12}", fullmatch=True),
)
_PROPERTY = st.builds(
    "{}.{}{}={}{}".format,
    st.sampled_from(["header", "smtp", "policy", "body", "Header", "x-ours"]),
    st.sampled_from(["d", "s", "i", "b", "from", "mailfrom", "helo", "D"]),
    _OPT_WS,
    _OPT_WS,
    _VALUE,
)
_RESINFO = st.builds(
    "{}{}{}={}{}{}".format,
    _OPT_WS,
    st.sampled_from(["dkim", "spf", "dmarc", "arc", "DKIM", "iprev", "x-local", "nonesuch"]),
    _OPT_WS,
    _OPT_WS,
    st.sampled_from(["pass", "fail", "none", "neutral", "temperror", "PASS", "policy"]),
    st.lists(st.builds("{}{}".format, _WS, _PROPERTY), max_size=4).map("".join),
)
_PLAIN_HEADER = st.builds(
    "{}{};{}{}".format,
    _OPT_WS,
    _DOMAIN,
    st.lists(_RESINFO, min_size=1, max_size=3).map(";".join),
    _OPT_WS,
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(_PLAIN_HEADER, st.text(alphabet="abcdk.=;@ -/1", max_size=40)))
def test_a_plain_header_reads_as_authres_reads_it(value):
    """The fast reading of plain headers agrees with authres wherever it answers;
    where it does not, authres reads the header."""
    plain = authresults._plain(value)
    if plain is not None:
        assert plain == authresults._by_authres(value)


def test_the_bench_and_a_real_mtas_header_read_the_same_by_both():
    for value in (
        "mx.bench.example; dkim=pass header.d=vendor1.example header.s=k1",
        "mx.example.org; dkim=pass header.d=vendor.example header.i=@vendor.example"
        " header.a=rsa-sha256 header.s=k1 header.b=AbCdEf12; spf=pass"
        " smtp.mailfrom=a@vendor.example; dmarc=pass header.from=vendor.example",
    ):
        assert authresults._plain(value) is not None
        assert authresults._plain(value) == authresults._by_authres(value)
