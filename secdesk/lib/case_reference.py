"""A case reference as a person types it: `example#8`, or a bare `8` (`#8`)
for the one case numbered 8 among those they may see."""

import re

from secdesk.errors import BadInput

_REFERENCE = re.compile(r"(?:(?P<slug>[-\w]+)#|#)?(?P<number>[0-9]+)", re.ASCII)


def parse_reference(text) -> tuple[str | None, int]:
    """(project slug or None, number) of a case reference."""
    found = _REFERENCE.fullmatch(str(text).strip())
    if found is None or int(found["number"]) < 1:
        raise BadInput(
            f"{str(text)!r} is not a case reference: write it as project#number, e.g. example#3"
        )
    return found["slug"], int(found["number"])


class CaseInPath:
    """A case in a web address, `example/8` for example#8 (a `#` would
    end the path). Reversing takes the case itself or its reference;
    the view gets the reference."""

    regex = r"[-\w]+/[0-9]+"

    def to_python(self, value: str) -> str:
        return value.replace("/", "#")

    def to_url(self, value) -> str:
        return getattr(value, "reference", value).replace("#", "/")
