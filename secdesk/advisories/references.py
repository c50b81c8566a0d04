"""References as the team writes them: one URL per line, its type first when
it is more than a web page.

    report https://bugs.example.org/1234
    fix https://git.example.org/commit/0123abcd
    https://blog.example.org/analysis

Each type has its tag in CVE JSON and its type in OSV; CSAF names it in the
reference's summary."""

import re

from secdesk.errors import BadInput

# Our type: (CVE reference tag or None, OSV reference type, what CSAF's summary says).
TYPES = {
    "web": (None, "WEB", "Reference"),
    "advisory": ("third-party-advisory", "ADVISORY", "Advisory"),
    "report": ("issue-tracking", "REPORT", "Report"),
    "fix": ("patch", "FIX", "Fix"),
    "exploit": ("exploit", "EVIDENCE", "Exploit"),
    "mailing-list": ("mailing-list", "DISCUSSION", "Mailing list post"),
    "article": ("technical-description", "ARTICLE", "Article"),
    "mitigation": ("mitigation", "WEB", "Mitigation"),
    "release-notes": ("release-notes", "WEB", "Release notes"),
    "introduced": ("related", "INTRODUCED", "Change that introduced the issue"),
    "package": ("product", "PACKAGE", "Package"),
}
DEFAULT_TYPE = "web"
_LINE = re.compile(r"(?:([A-Za-z][A-Za-z _-]*?)\s*:?\s+)?(\S+)")
_URL = re.compile(r"https?://\S+")


def parse(text: str) -> list[dict]:
    """The references of `text`, each {"url", "type"}; an unknown type or a
    URL that is not http(s) is refused, naming the line."""
    return [_reference(line.strip()) for line in text.splitlines() if line.strip()]


def _reference(line: str) -> dict:
    match = _LINE.fullmatch(line)
    kind = re.sub(r"[\s_]+", "-", (match.group(1) or DEFAULT_TYPE).lower()) if match else ""
    if not match or not _URL.fullmatch(match.group(2)):
        raise BadInput(f"advisory: reference {line!r} is not an http(s) URL")
    if kind not in TYPES:
        raise BadInput(
            f"advisory: reference {line!r}: no type {kind!r}; the types are {', '.join(TYPES)}"
        )
    return {"url": match.group(2), "type": kind}


def cve_tags(reference: dict) -> list[str]:
    tag = TYPES[reference["type"]][0]
    return [tag] if tag else []


def osv_type(reference: dict) -> str:
    return TYPES[reference["type"]][1]


def csaf_summary(reference: dict) -> str:
    return TYPES[reference["type"]][2]
