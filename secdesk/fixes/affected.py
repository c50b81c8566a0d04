"""Affected and fixed releases for many cases at once, in one walk over history.

Asking `git tag --contains` once per commit walks the history once per commit.
Here every release tag's ancestry is listed once, parents before children, and
each commit inherits from its parents one bit per case: "an introducing commit
of this case is behind me" and "a fix of this case (or a backport of it) is
behind me". A release tag then reads its answer for every case off two ints.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from secdesk.fixes.backports import backports_among
from secdesk.fixes.git import Git
from secdesk.fixes.releases import Release, ReleaseScheme

COMMIT_ID = re.compile(r"^[0-9a-fA-F]{4,64}$")

# progress(step, done, total): a long run tells the person waiting how far it is.
Progress = Callable[[str, int, int], None]


@dataclass
class CaseCommits:
    """One case as the batch names it: its introducing and its fix commits."""

    id: str
    introduced: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    id: str
    affected: list[str] = field(default_factory=list)
    fixed_in: list[str] = field(default_factory=list)
    error: str | None = None

    def as_json(self) -> dict:
        if self.error:
            return {"id": self.id, "error": self.error}
        return {
            "id": self.id,
            "affected": self.affected,
            "first_affected": self.affected[0] if self.affected else None,
            "last_affected": self.affected[-1] if self.affected else None,
            "fixed_in": self.fixed_in,
        }


def release_tags(git: Git, scheme: ReleaseScheme) -> dict[str, list[Release]]:
    """commit → the releases tagged on it."""
    names = git.run("for-each-ref", "--format=%(refname)", "refs/tags/").split()
    releases = {name: scheme.release(name.removeprefix("refs/tags/")) for name in names}
    releases = {name: release for name, release in releases.items() if release}
    commits = git.resolve(list(releases))
    tagged: dict[str, list[Release]] = {}
    for name, release in releases.items():
        # A tag of a tree or a blob names no release.
        if commits[name]:
            tagged.setdefault(commits[name], []).append(release)
    return tagged


def affected_releases(
    git: Git,
    scheme: ReleaseScheme,
    cases: list[CaseCommits],
    progress: Progress | None = None,
) -> list[Outcome]:
    """For each case, in order: the releases that contain an introducing commit
    (any release, if none is known) and no fix, and the releases that first ship
    a fix on their line of development — fixed releases with no earlier fixed
    release in their history.

    1. Resolve every commit of every case with one `git cat-file`; a case naming
       a commit the repository lacks gets an error, the others go on.
    2. List the ancestry of all release tags with one `git rev-list --topo-order
       --reverse --parents`: the graph, which the commit-graph answers fast.
    3. Find where a backport could matter, and the backports of all fixes
       among those commits at once (see backports.py).
    4. Carry the case bits from parents to children, and read each case's
       releases off the bits of the tagged commits.
    """
    report = progress or (lambda step, done, total: None)
    outcomes = [Outcome(case.id) for case in cases]
    tagged = release_tags(git, scheme)

    report("resolving commits", 0, 1)
    wanted = {rev for case in cases for rev in case.introduced + case.fixed}
    full = git.resolve(sorted(rev for rev in wanted if COMMIT_ID.match(rev)))
    live = []
    for index, (case, outcome) in enumerate(zip(cases, outcomes, strict=True)):
        outcome.error = _unresolved(case, full)
        if not outcome.error:
            live.append(index)

    introduced_by: dict[str, int] = {}
    fixed_by: dict[str, int] = {}
    no_introducing = 0
    for index in live:
        bit = 1 << index
        for rev in cases[index].introduced:
            introduced_by[full[rev]] = introduced_by.get(full[rev], 0) | bit
        for rev in cases[index].fixed:
            fixed_by[full[rev]] = fixed_by.get(full[rev], 0) | bit
        if not cases[index].introduced:
            no_introducing |= bit

    report("reading history", 0, 1)
    tips = sorted(tagged)
    listing = git.run("rev-list", "--topo-order", "--reverse", "--parents", *tips) if tips else ""
    graph = [line.split() for line in listing.splitlines()]
    suspects = _where_backports_matter(graph, fixed_by, tagged, len(cases))
    report("finding backports", 0, 1)
    for backport, fixes in backports_among(git, fixed_by, suspects).items():
        for fix in fixes:
            fixed_by[backport] = fixed_by.get(backport, 0) | fixed_by[fix]
    introduced, fixed, first_fixed = _walk(
        graph, introduced_by, fixed_by, tagged, len(cases), report
    )

    report("reading releases", 0, 1)
    affected_in: list[set[Release]] = [set() for _ in cases]
    fixed_in: list[set[Release]] = [set() for _ in cases]
    for commit, releases in tagged.items():
        for index in _bits((introduced[commit] | no_introducing) & ~fixed[commit]):
            affected_in[index].update(releases)
        for index in _bits(first_fixed[commit]):
            fixed_in[index].update(releases)
    for index in live:
        outcomes[index].affected = _versions(affected_in[index])
        outcomes[index].fixed_in = _versions(fixed_in[index])
    report("done", 1, 1)
    return outcomes


def _where_backports_matter(graph, fixed_by, tagged, width: int) -> list[str]:
    """The commits that could change an answer if they carried a fix: a backport
    of case i matters only if a release lacking fix i is at or after it, and it
    is neither after a fix of i (that release would have the fix anyway) nor
    before one (a commit that names a fix, or a chain of picks leading to it,
    was made after the fix). Reading only these commits' messages keeps a large
    history cheap: they are mostly the maintenance branches' own commits."""
    everything = (1 << width) - 1
    fixed = {}
    for commit, *parents in graph:
        bits = fixed_by.get(commit, 0)
        for parent in parents:
            bits |= fixed[parent]
        fixed[commit] = bits
    # Children first now, carrying two fields down to the parents: the cases
    # some release at or after the commit lacks, and the fixes at or after it.
    ahead: dict[str, int] = {}
    suspects = []
    for commit, *parents in reversed(graph):
        bits = ahead.pop(commit, 0) | fixed_by.get(commit, 0) << width
        if commit in tagged:
            bits |= everything & ~fixed[commit]
        if bits & everything & ~fixed[commit] & ~(bits >> width):
            suspects.append(commit)
        for parent in parents:
            ahead[parent] = ahead.get(parent, 0) | bits
    return suspects


def _walk(graph, introduced_by, fixed_by, tagged, width: int, report: Progress):
    """Carry each case's bits from parents to children, parents first; answer,
    for each tagged commit, the cases introduced and fixed behind it, and those
    first fixed there: fixed, but in no release tagged behind it.

    Each commit holds one int of three fields of `width` bits, so that a
    parent is merged in with a single OR: introduced behind, fixed behind, and
    fixed in a release behind."""
    field = (1 << width) - 1
    own = dict(introduced_by)
    for commit, bits in fixed_by.items():
        own[commit] = own.get(commit, 0) | bits << width
    behind: dict[str, int] = {}
    introduced, fixed, first_fixed = {}, {}, {}
    total = len(graph)
    for done, (commit, *parents) in enumerate(graph):
        bits = own.get(commit, 0)
        for parent in parents:
            bits |= behind[parent]
        if commit in tagged:
            here_fixed = bits >> width & field
            introduced[commit] = bits & field
            fixed[commit] = here_fixed
            first_fixed[commit] = here_fixed & ~(bits >> 2 * width)
            bits |= here_fixed << 2 * width
        behind[commit] = bits
        if done % 20000 == 0:
            report("walking history", done, total)
    report("walking history", total, total)
    return introduced, fixed, first_fixed


def _unresolved(case: CaseCommits, full: dict[str, str | None]) -> str | None:
    for rev in case.introduced + case.fixed:
        if not COMMIT_ID.match(rev):
            return f"{rev!r} is not a commit id (4 to 64 hex digits)"
        if not full[rev]:
            return f"commit {rev} is not in the repository" + (
                " (or the abbreviation is ambiguous)" if len(rev) < 40 else ""
            )
    return None


def _versions(releases: set[Release]) -> list[str]:
    """Sorted, and each version once: two tags may name the same version."""
    return list(dict.fromkeys(release.version for release in sorted(releases)))


def _bits(mask: int):
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low
