"""DKIM alignment on organizational domains, and Authentication-Results read by
a real parser: what the site's MTA says counts only when it says it plainly."""

from email import message_from_bytes, policy

import pytest

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
