"""The site's MTA vouching for a sender: Authentication-Results (RFC 8601).

Counts only when the project trusts its MTA, only the header its MTA wrote
(named by the project's authserv-id), and only a DKIM pass whose signing domain
is aligned with the From address. The MTA adds its header at the top, above the
Received line it writes; a header further down came with the message and may
be forged by the sender, so it never counts.

The header is parsed by authres; alignment is DMARC's relaxed alignment, on
organizational domains found with the public-suffix list that publicsuffixlist
ships (no network).
"""

import functools

import authres
from publicsuffixlist import PublicSuffixList


@functools.cache
def _suffixes() -> PublicSuffixList:
    # Read on first use, not on import: it takes about 0.2 s, which a CLI
    # command that never reads mail should not pay.
    return PublicSuffixList()


def _ours(message, authserv_id: str) -> list[authres.AuthenticationResultsHeader]:
    """The Authentication-Results headers above the first Received header that
    name our MTA as their authserv-id; one that cannot be parsed is not ours."""
    found = []
    for name, value in message.raw_items():
        name = name.lower()
        if name == "received":
            break
        if name != "authentication-results":
            continue
        try:
            header = authres.AuthenticationResultsHeader.parse_value(str(value))
        except authres.AuthResError:
            continue
        if (header.authserv_id or "").lower() == authserv_id.lower():
            found.append(header)
    return found


def aligned(domain: str, from_domain: str) -> bool:
    """Relaxed DMARC alignment: the signing domain and the From domain have the
    same organizational domain (mail.example.co.uk and example.co.uk do; a
    public suffix such as co.uk is nobody's organizational domain)."""
    organization = _suffixes().privatesuffix(domain.lower().rstrip("."))
    return organization is not None and organization == _suffixes().privatesuffix(
        from_domain.lower().rstrip(".")
    )


def dkim_pass_for(message, from_address: str, authserv_id: str) -> bool:
    if not authserv_id or "@" not in from_address:
        return False
    from_domain = from_address.rpartition("@")[2]
    for header in _ours(message, authserv_id):
        for result in header.results:
            if result.method.lower() != "dkim" or result.result.lower() != "pass":
                continue
            domains = [p.value for p in result.properties if (p.type, p.name) == ("header", "d")]
            if any(aligned(domain, from_domain) for domain in domains):
                return True
    return False
