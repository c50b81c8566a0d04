"""Credits as the team writes them: one per line, the role first when it is
not the finder's, an address in angle brackets when the person wants it shown.

    Finn Finder (Research Lab)
    reporter: Jürgen Example <jürgen@uni.example>
    remediation developer: Dana Developer

Each role has its name in CVE JSON and in OSV."""

import re

from secdesk.errors import BadInput
from secdesk.lib.addresses import is_address

# Our role: (CVE credit type, OSV credit type).
ROLES = {
    "finder": ("finder", "FINDER"),
    "reporter": ("reporter", "REPORTER"),
    "analyst": ("analyst", "ANALYST"),
    "coordinator": ("coordinator", "COORDINATOR"),
    "remediation developer": ("remediation developer", "REMEDIATION_DEVELOPER"),
    "remediation reviewer": ("remediation reviewer", "REMEDIATION_REVIEWER"),
    "remediation verifier": ("remediation verifier", "REMEDIATION_VERIFIER"),
    "tool": ("tool", "TOOL"),
    "sponsor": ("sponsor", "SPONSOR"),
    "other": ("other", "OTHER"),
}
DEFAULT_ROLE = "finder"
_ROLE = re.compile(r"([A-Za-z][A-Za-z _-]*?)\s*:\s*(.+)")
_CONTACT = re.compile(r"(.*?)\s*<([^<>\s]+)>")


def parse(text: str) -> list[dict]:
    """The credits of `text`, each {"name", "role", "contact"}; a malformed
    address is refused, naming the line."""
    return [_credit(line.strip()) for line in text.splitlines() if line.strip()]


def _credit(line: str) -> dict:
    role, rest = DEFAULT_ROLE, line
    if match := _ROLE.fullmatch(line):
        named = re.sub(r"[\s_-]+", " ", match.group(1)).lower()
        if named in ROLES:
            role, rest = named, match.group(2)
    name, contact = rest, ""
    if match := _CONTACT.fullmatch(rest):
        name, contact = match.group(1), match.group(2)
        if not is_address(contact):
            raise BadInput(f"advisory: credit {line!r}: {contact!r} is not a mail address")
    if not name:
        raise BadInput(f"advisory: credit {line!r} names nobody")
    return {"name": name, "role": role, "contact": contact}


def shown(credit: dict) -> str:
    """As the announcement and the page show it."""
    contact = f" <{credit['contact']}>" if credit["contact"] else ""
    role = "" if credit["role"] == DEFAULT_ROLE else f" ({credit['role']})"
    return f"{credit['name']}{contact}{role}"


def cve_type(credit: dict) -> str:
    return ROLES[credit["role"]][0]


def osv_type(credit: dict) -> str:
    return ROLES[credit["role"]][1]
