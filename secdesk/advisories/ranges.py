"""Which releases of a package an advisory calls affected, as one model that
every format projects from.

The facts of a package (see facts.py) hold what the git walk found: every
release, the affected ones, those holding a fix, and per maintained branch the
releases on it and the first fixed one. From these the model draws:

- the affected intervals in version order: each run of consecutive affected
  releases, with the release that follows it (unaffected, or None at the end).
  The runs never overlap and cover no unaffected release, so a format that
  reads ranges in version order (CVE, OSV SEMVER and ECOSYSTEM) states exactly
  the affected releases, whichever branch they were made on;
- per branch, its affected releases and the release that fixes them there;
- the explicit sets: affected, fixed (holds a fix), not affected (the rest).
"""

import re
from dataclasses import dataclass

from secdesk.fixes.releases import version_key


@dataclass(frozen=True)
class Run:
    """Releases `first` to `last` are affected; `next` (None at the end) is
    the release after `last` in version order, and is not."""

    first: str
    last: str
    next: str | None


@dataclass(frozen=True)
class BranchRange:
    branch: str
    affected: list[str]
    fixed_in: str | None


@dataclass(frozen=True)
class Ranges:
    releases: list[str]
    affected: list[str]
    fixed: list[str]
    not_affected: list[str]
    runs: list[Run]
    branches: list[BranchRange]

    @property
    def complete(self) -> bool:
        """The releases are known: every version the runs leave out is unaffected."""
        return bool(self.releases)


SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


def version_type(package: dict) -> str:
    """semver when every release is three numbers and the project does not
    declare its versions custom; else custom: the release tags' own ordering,
    numbers compared as numbers (see releases.py). A release that is not
    semver turns a declared semver to custom rather than mislead a reader."""
    releases = package["releases"]
    semver = bool(releases) and all(SEMVER.match(v) for v in releases)
    return "semver" if semver and package["version_type"] != "custom" else "custom"


def ranges_of(package: dict) -> Ranges:
    releases = sorted(set(package["releases"]), key=version_key)
    affected = set(package["affected"])
    fixed = set(package["fixed"]) - affected
    return Ranges(
        releases=releases,
        affected=[v for v in releases if v in affected],
        fixed=[v for v in releases if v in fixed],
        not_affected=[v for v in releases if v not in affected and v not in fixed],
        runs=_runs(releases, affected),
        branches=[
            BranchRange(
                branch=b["branch"],
                affected=[v for v in releases if v in affected and v in b["releases"]],
                fixed_in=b["fixed_in"][0] if b["fixed_in"] else None,
            )
            for b in package["branches"]
        ],
    )


def _runs(releases: list[str], affected: set[str]) -> list[Run]:
    runs, first, last = [], None, None
    for version in releases:
        if version in affected:
            first, last = first or version, version
        elif first:
            runs.append(Run(first, last, version))
            first = None
    if first:
        runs.append(Run(first, last, None))
    return runs
