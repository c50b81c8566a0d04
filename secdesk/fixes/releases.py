"""Release tags and the versions they name.

A project describes its release tags with a regular expression whose groups
give the version: `^v(\\d+)\\.(\\d+)\\.(\\d+)$` reads `v1.2.3` as 1.2.3, and
`^curl-(\\d+)_(\\d+)(?:_(\\d+))?$` reads `curl-7_88` as 7.88. The version is
the matched groups joined by dots, empty groups left out; versions order
numerically, so 1.10 comes after 1.9.
"""

import re
from dataclasses import dataclass, field

from secdesk.errors import BadInput


def _part_key(part: str) -> tuple:
    # Numbers before words at the same place, and each run of digits compared as
    # a number: 1.2.rc10 after 1.2.rc9, all without comparing an int to a str.
    runs = re.findall(r"\d+|\D+", part)
    return tuple((0, int(run), "") if run.isdigit() else (1, 0, run) for run in runs)


def version_key(version: str) -> tuple:
    return tuple(_part_key(part) for part in version.split("."))


@dataclass(frozen=True, order=True)
class Release:
    key: tuple = field(repr=False)
    version: str
    tag: str = field(compare=False)


class ReleaseScheme:
    """The release-tag regular expression of a repository."""

    def __init__(self, pattern: str):
        try:
            self.regex = re.compile(pattern)
        except re.error as err:
            raise BadInput(
                f"release tag pattern {pattern!r} is not a regular expression: {err}"
            ) from None
        if self.regex.groups == 0:
            raise BadInput(
                f"release tag pattern {pattern!r} has no group: its groups give the version"
            )

    def version(self, tag: str) -> str | None:
        """The version a tag names, or None for a tag that is not a release."""
        match = self.regex.search(tag)
        if not match:
            return None
        parts = [group for group in match.groups() if group]
        return ".".join(parts) or None

    def release(self, tag: str) -> Release | None:
        version = self.version(tag)
        return Release(version_key(version), version, tag) if version else None


def sorted_versions(versions) -> list[str]:
    return sorted(set(versions), key=version_key)
