"""The site's MTA vouching for a sender: Authentication-Results (RFC 8601).

Counts only when the project trusts its MTA, only the header its MTA wrote
(named by the project's authserv-id), and only a DKIM pass whose signing domain
is aligned with the From address. The MTA adds its header at the top, above the
Received line it writes; a header further down came with the message and may
be forged by the sender, so it never counts.
"""

import re

_RESULT = re.compile(r"\bdkim\s*=\s*(\w+)(?P<props>[^;]*)", re.IGNORECASE)
_DOMAIN = re.compile(r"\bheader\.d\s*=\s*\"?([A-Za-z0-9.-]+)", re.IGNORECASE)
_COMMENT = re.compile(r"\([^()]*\)")


def _ours(message, authserv_id: str) -> list[str]:
    """The Authentication-Results headers above the first Received header that
    name our MTA as their authserv-id."""
    found = []
    for name, value in message.raw_items():
        name = name.lower()
        if name == "received":
            break
        if name != "authentication-results":
            continue
        text = _COMMENT.sub("", str(value)).strip()
        serv_id = text.split(";", 1)[0].split()[0] if text else ""
        if serv_id.lower() == authserv_id.lower():
            found.append(text)
    return found


def aligned(domain: str, from_domain: str) -> bool:
    """Relaxed DMARC alignment: the same domain, or a parent of the From domain."""
    domain, from_domain = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    return from_domain == domain or from_domain.endswith("." + domain)


def dkim_pass_for(message, from_address: str, authserv_id: str) -> bool:
    if not authserv_id or "@" not in from_address:
        return False
    from_domain = from_address.rpartition("@")[2]
    for text in _ours(message, authserv_id):
        for result in _RESULT.finditer(text.split(";", 1)[-1]):
            if result.group(1).lower() != "pass":
                continue
            domain = _DOMAIN.search(result.group("props"))
            if domain and aligned(domain.group(1), from_domain):
                return True
    return False
