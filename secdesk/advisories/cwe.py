"""CWE names, from the CWE catalog the `csaf` package ships (the one its mandatory
test 6.1.11 checks a CSAF document's CWE name against)."""

import json
import re
from functools import cache
from importlib.resources import files

from secdesk.errors import BadInput


@cache
def _catalog() -> dict:
    return json.loads((files("csaf") / "csaf" / "v21" / "cwe" / "catalog.json").read_bytes())


def cwe_name(cwe_id: str) -> str | None:
    """The current name of a weakness, e.g. CWE-787 → "Out-of-bounds Write"; None if unknown."""
    if not cwe_id.startswith("CWE-"):
        return None
    entry = _catalog()["weaknesses"].get(cwe_id.removeprefix("CWE-"))
    if entry is None:
        return None
    return next((name for _, name in reversed(entry["history"]) if name is not None), None)


def parse_cwes(text: str) -> list[str]:
    """The weaknesses of `text` (e.g. "CWE-787, CWE-20"), each in the catalog."""
    cwes = [c.upper() for c in re.split(r"[\s,]+", text) if c]
    for cwe_id in cwes:
        if cwe_name(cwe_id) is None:
            raise BadInput(f"advisory: {cwe_id} is not in the CWE catalog (e.g. CWE-787)")
    return list(dict.fromkeys(cwes))
