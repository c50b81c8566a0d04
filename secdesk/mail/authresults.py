"""The site's MTA vouching for a sender: Authentication-Results (RFC 8601).

Counts only when the project trusts its MTA, only the header its MTA wrote
(named by the project's authserv-id), and only a DKIM pass whose signing domain
is aligned with the From address. The MTA adds its header at the top, above the
Received line it writes; a header further down came with the message and may
be forged by the sender, so it never counts.

The header is parsed by authres; alignment is DMARC's relaxed alignment, on
organizational domains found with the public-suffix list that publicsuffixlist
ships (no network).

A plain header — tokens, `=` and `;`, with no comment, quoted string or escape —
is read by `_plain` instead, and means the same: a property test holds it to
authres's reading of every plain header. The reason is measured: authres takes
about 0.35 ms of CPU for the shortest header (it compiles its patterns at each
step), 17% of the intake's work on a member's post, which left
`bench/mail_intake.py` at 0.21 of the bare server's rate, under its 0.25 target.
Anything else goes to authres.
"""

import functools
import re
from dataclasses import dataclass

import authres
from publicsuffixlist import PublicSuffixList


@dataclass(frozen=True)
class Result:
    method: str
    result: str
    properties: tuple[tuple[str, str, str], ...]  # (type, name, value): ("header", "d", …)


@dataclass(frozen=True)
class Header:
    authserv_id: str
    results: tuple[Result, ...]


# Only what a plain header is made of: no "(", '"' or "\\".
_PLAIN = re.compile(r"[A-Za-z0-9.@_+\-/=; \t]*\Z")
_WORD = r"[A-Za-z0-9][A-Za-z0-9_\-]*"
_DOMAIN = (
    r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*"
)
_RESINFO = re.compile(
    rf"\s*(?P<method>{_WORD})\s*=\s*(?P<result>{_WORD})"
    rf"(?P<properties>(?:\s+{_WORD}\.{_WORD}\s*=\s*[A-Za-z0-9.@_+\-]+)*)\s*\Z"
)
_PTYPES = {"smtp", "header", "body", "policy"}
_PROPERTY = re.compile(rf"({_WORD})\.({_WORD})\s*=\s*([A-Za-z0-9.@_+\-]+)")


def _plain(value: str) -> Header | None:
    """A plain header read as authres reads it, or None for any other (authres
    then reads it): an authserv-id, then resinfos `method=result ptype.name=value…`
    with no version, no reason, no "none" and only RFC 8601's property types."""
    if not _PLAIN.match(value):
        return None
    authserv_id, *parts = value.split(";")
    if not re.fullmatch(rf"\s*{_DOMAIN}\s*", authserv_id) or not parts:
        return None
    results = []
    for part in parts:
        match = _RESINFO.match(part)
        # authres reads a method starting "none" as the "none" result.
        if match is None or match["method"].lower().startswith("none"):
            return None
        properties = tuple(
            (kind.lower(), name.lower(), found)
            for kind, name, found in _PROPERTY.findall(match["properties"])
        )
        # authres leaves out a property of another type than RFC 8601's four.
        if any(kind not in _PTYPES for kind, _, _ in properties):
            return None
        results.append(Result(match["method"].lower(), match["result"].lower(), properties))
    return Header(authserv_id.strip().lower(), tuple(results))


def parse(value: str) -> Header | None:
    """The header's authserv-id and results, or None if it cannot be parsed."""
    plain = _plain(value)
    return plain if plain is not None else _by_authres(value)


def _by_authres(value: str) -> Header | None:
    try:
        header = authres.AuthenticationResultsHeader.parse_value(value)
    except authres.AuthResError:
        return None
    return Header(
        (header.authserv_id or "").lower(),
        tuple(
            Result(
                result.method.lower(),
                (result.result or "").lower(),
                tuple((p.type.lower(), p.name.lower(), p.value) for p in result.properties),
            )
            for result in header.results
        ),
    )


@functools.cache
def _suffixes() -> PublicSuffixList:
    # Read on first use, not on import: it takes about 0.2 s, which a CLI
    # command that never reads mail should not pay.
    return PublicSuffixList()


def _ours(message, authserv_id: str) -> list[Header]:
    """The Authentication-Results headers above the first Received header that
    name our MTA as their authserv-id; one that cannot be parsed is not ours."""
    found = []
    for name, value in message.raw_items():
        name = name.lower()
        if name == "received":
            break
        if name != "authentication-results":
            continue
        header = parse(str(value))
        if header is not None and header.authserv_id == authserv_id.lower():
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
            if (result.method, result.result) != ("dkim", "pass"):
                continue
            domains = [
                found for kind, name, found in result.properties if (kind, name) == ("header", "d")
            ]
            if any(aligned(domain, from_domain) for domain in domains):
                return True
    return False
