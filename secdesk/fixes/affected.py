"""Affected and fixed releases for many cases at once, in one walk over history.

Asking `git tag --contains` once per commit walks the history once per commit.
Here every release tag's ancestry is listed once, in topological order, and
each commit inherits from its parents one bit per case: "an introducing commit
of this case is behind me" and "a fix of this case (or a backport of it) is
behind me". A release tag then reads its answer for every case off two ints.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import compress, count
from operator import ne

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
    # Every release that holds a fix, and every commit found to carry one (the
    # recorded fixes and their backports): what an advisory's ranges are made of.
    fixed: list[str] = field(default_factory=list)
    fix_commits: list[str] = field(default_factory=list)
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
    """commit → the releases tagged on it. One `for-each-ref` names each tag's
    commit (an annotated tag peeled once); a tag of a tag is resolved apart."""
    listing = git.run(
        "for-each-ref",
        "--format=%(objecttype) %(objectname) %(*objecttype) %(*objectname) %(refname)",
        "refs/tags/",
    )
    tagged: dict[str, list[Release]] = {}
    nested = {}
    for line in listing.splitlines():
        kind, target, peeled_kind, peeled, name = line.split(" ", 4)
        release = scheme.release(name.removeprefix("refs/tags/"))
        if release is None:
            continue
        if kind == "commit":
            tagged.setdefault(target, []).append(release)
        elif peeled_kind == "commit":
            tagged.setdefault(peeled, []).append(release)
        elif peeled_kind == "tag":
            nested[name] = release
    # A tag of a tree or a blob names no release.
    for name, commit in git.resolve(sorted(nested)).items():
        if commit:
            tagged.setdefault(commit, []).append(nested[name])
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

    1. List the ancestry of all release tags with one `git rev-list --topo-order
       --parents` (the graph, which the commit-graph answers fast), and while
       git walks, resolve every commit of every case with one `git cat-file`.
       A case naming a commit the repository lacks gets an error, the others
       go on.
    2. Carry the case bits from parents to children, and back from children to
       parents, to find where a backport could change an answer: a release
       that has a bug but not its fix.
    3. Only if there are such places, find the backports of the fixes among
       them (see backports.py: patch-ids are read then, not before), carry the
       fix bits again if there are any, and read each case's releases off the
       bits of the tagged commits.
    """
    report = progress or (lambda step, done, total: None)
    outcomes = [Outcome(case.id) for case in cases]
    tagged = release_tags(git, scheme)
    tips = sorted(tagged)
    walking = git.start("rev-list", "--topo-order", "--parents", *tips) if tips else None

    report("resolving commits", 0, 1)
    bits = _CaseBits.of(git, cases, outcomes)

    report("reading history", 0, 1)
    graph = History(walking.chunks() if walking else (), tagged)
    width = len(cases)
    introduced, fixed = graph.carry(bits.introduced_by, bits.fixed_by, width)
    report("finding backports", 0, 1)
    suspects = graph.where_backports_matter(bits.fixed_by, fixed, width)
    backports = backports_among(git, bits.fixed_by, suspects)
    for backport, carried in backports.items():
        for fix in carried:
            bits.fixed_by[backport] = bits.fixed_by.get(backport, 0) | bits.fixed_by[fix]
    if backports:
        _, fixed = graph.carry({}, bits.fixed_by, width)

    report("reading releases", 0, 1)
    _read_releases(graph, tagged, bits, introduced, fixed, outcomes)
    report("done", 1, 1)
    return outcomes


@dataclass
class _CaseBits:
    """Each case is a bit: the commits that introduce and fix it, by full id."""

    live: list[int]
    introduced_by: dict[str, int]
    fixed_by: dict[str, int]
    # The cases with no introducing commit known: every release has the bug.
    no_introducing: int

    @classmethod
    def of(cls, git: Git, cases: list[CaseCommits], outcomes: list[Outcome]) -> "_CaseBits":
        wanted = {rev for case in cases for rev in case.introduced + case.fixed}
        full = git.resolve(sorted(rev for rev in wanted if COMMIT_ID.match(rev)))
        bits = cls([], {}, {}, 0)
        for index, (case, outcome) in enumerate(zip(cases, outcomes, strict=True)):
            outcome.error = _unresolved(case, full)
            if outcome.error:
                continue
            bits.live.append(index)
            bit = 1 << index
            for rev in case.introduced:
                bits.introduced_by[full[rev]] = bits.introduced_by.get(full[rev], 0) | bit
            for rev in case.fixed:
                bits.fixed_by[full[rev]] = bits.fixed_by.get(full[rev], 0) | bit
            if not case.introduced:
                bits.no_introducing |= bit
        return bits


def _read_releases(graph, tagged, bits: _CaseBits, introduced, fixed, outcomes):
    """Each live case's releases, off the bits of the tagged commits."""
    width = len(outcomes)
    first_fixed = graph.first_fixed(fixed)
    releases = sorted(
        (release, graph.position[commit])
        for commit, releases in tagged.items()
        for release in releases
    )
    # One row of bytes per release, one byte per case; turned into one column
    # per case, the versions of a case are picked without a Python step per
    # case and release.
    versions = [release.version for release, _ in releases]
    affected = [
        _flags((introduced[at] | bits.no_introducing) & ~fixed[at], width) for _, at in releases
    ]
    first = [_flags(first_fixed[at], width) for _, at in releases]
    holding = [_flags(fixed[at], width) for _, at in releases]
    affected_by_case = list(zip(*affected, strict=True)) if releases else []
    first_by_case = list(zip(*first, strict=True)) if releases else []
    holding_by_case = list(zip(*holding, strict=True)) if releases else []
    carriers = sorted(bits.fixed_by)
    for index in bits.live:
        outcome = outcomes[index]
        bit = 1 << index
        outcome.fix_commits = [commit for commit in carriers if bits.fixed_by[commit] & bit]
        if releases:
            outcome.affected = list(dict.fromkeys(compress(versions, affected_by_case[index])))
            outcome.fixed_in = list(dict.fromkeys(compress(versions, first_by_case[index])))
            outcome.fixed = list(dict.fromkeys(compress(versions, holding_by_case[index])))


class History:
    """The ancestry of the release tags as `git rev-list --topo-order --parents`
    lists it, children before parents, each commit known by its place in that
    list (0 is the newest). git writes the list as it walks, without the wait
    that `--reverse` would add, and it is read while git is still writing.

    Most commits continue a chain: their only parent is the next line, so
    they inherit its bits unchanged unless they have bits of their own. Only
    the other lines ("joins": roots, merges, the first commit of a branch,
    whose parent is listed further down) and the commits that joins, tags or
    cases name are ever
    visited; a chain between two of them shares one value. A walk over a
    100,000-commit history then visits a few thousand places, not every commit.
    """

    def __init__(self, listing: Iterable[bytes], tagged):
        self.commits: list[str] = []
        tails: list[str] = []
        size, rest = 0, ""
        for chunk in listing:
            lines = (rest + chunk.decode()).split("\n")
            rest = lines.pop()
            if lines and not size:
                size = len(lines[0].partition(" ")[0])
            self.commits += [line[:size] for line in lines]
            tails += [line[size + 1 :] for line in lines]
        self.position = dict(zip(self.commits, range(len(self.commits)), strict=True))
        # A join is a line whose parents are not just the next line; found by
        # comparing the two lists in C rather than line by line in Python.
        differs = map(ne, tails, [*self.commits[1:], None])
        self.joins = {
            at: tuple(self.position[parent] for parent in tails[at].split())
            for at in compress(count(), differs)
        }
        self.tags = {self.position[commit] for commit in tagged}
        self.fixed_places = self.tags.union(*self.joins.values(), self.joins)

    def places(self, commits) -> dict[int, str]:
        return {self.position[c]: c for c in commits if c in self.position}

    def carry(self, introduced_by: dict[str, int], fixed_by: dict[str, int], width: int):
        """Per place: the cases introduced at or behind it, and those fixed at
        or behind it. Both fields ride in one int, so a parent is merged in
        with a single OR."""
        own: dict[int, int] = {}
        for at, commit in self.places(introduced_by).items():
            own[at] = introduced_by[commit]
        for at, commit in self.places(fixed_by).items():
            own[at] = own.get(at, 0) | fixed_by[commit] << width
        values, bits = {}, 0
        for at in sorted(self.fixed_places.union(own), reverse=True):
            if at in self.joins:
                bits = 0
                for parent in self.joins[at]:
                    bits |= values[parent]
            # Otherwise the next line is the parent, and `bits` still its value.
            values[at] = bits = bits | own.get(at, 0)
        field = (1 << width) - 1
        return (
            {at: bits & field for at, bits in values.items()},
            {at: bits >> width for at, bits in values.items()},
        )

    def where_backports_matter(self, fixed_by, fixed: dict[int, int], width: int) -> list[str]:
        """The commits that could change an answer if they carried a fix: a
        backport of case i matters only if a release lacking fix i is at or
        after it, and it is neither after a fix of i (that release would have
        the fix anyway) nor before one (a commit that names a fix, or a chain
        of picks leading to it, was made after the fix). Reading only these
        commits' messages keeps a large history cheap: they are mostly the
        maintenance branches' own commits.

        Children first, carrying two fields down to the parents: the cases
        some release at or after the commit lacks, and the fixes at or after
        it. Each chain between two places is judged as a whole."""
        everything = (1 << width) - 1
        fix_at = {at: fixed_by[commit] for at, commit in self.places(fixed_by).items()}
        ahead: dict[int, int] = {}
        suspects: list[str] = []
        child = None  # the place before this one, and what flows down from it

        def matters(bits, at):
            return bits & everything & ~fixed[at] & ~(bits >> width)

        for at in sorted(self.fixed_places.union(fix_at)):
            bits = ahead.pop(at, 0)
            if child is not None and child[0] not in self.joins:
                # The line before `at` is its child, and so is every line of
                # the chain back to the place before, which share its bits.
                bits |= child[1]
                if child[0] + 1 < at and matters(child[1], at):
                    suspects += self.commits[child[0] + 1 : at]
            bits |= fix_at.get(at, 0) << width
            if at in self.tags:
                bits |= everything & ~fixed[at]
            if matters(bits, at):
                suspects.append(self.commits[at])
            for parent in self.joins.get(at, ()):
                ahead[parent] = ahead.get(parent, 0) | bits
            child = (at, bits)
        return suspects

    def first_fixed(self, fixed: dict[int, int]) -> dict[int, int]:
        """Per tagged place: the cases fixed there but in no release tagged
        behind it."""
        released, first, bits = {}, {}, 0
        for at in sorted(fixed, reverse=True):
            if at in self.joins:
                bits = 0
                for parent in self.joins[at]:
                    bits |= released[parent]
            if at in self.tags:
                first[at] = fixed[at] & ~bits
                bits |= fixed[at]
            released[at] = bits
        return first


def _unresolved(case: CaseCommits, full: dict[str, str | None]) -> str | None:
    for rev in case.introduced + case.fixed:
        if not COMMIT_ID.match(rev):
            return f"{rev!r} is not a commit id (4 to 64 hex digits)"
        if not full[rev]:
            return f"commit {rev} is not in the repository" + (
                " (or the abbreviation is ambiguous)" if len(rev) < 40 else ""
            )
    return None


_BYTES = bytes.maketrans(b"01", b"\0\1")


def _flags(mask: int, width: int) -> bytes:
    """Bit i of `mask` as byte i (0 or 1)."""
    return format(mask, f"0{width}b")[::-1].encode().translate(_BYTES) if width else b""
