"""Which commits are the same fix as a recorded one, on another branch.

A backport counts when it is the fix commit itself, when its message carries
the `(cherry picked from commit X)` line that `git cherry-pick -x` writes and X
is a fix (or a backport of one: a cherry-pick of a cherry-pick), or when its
`git patch-id --stable` equals a fix's.
"""

import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from secdesk.fixes.git import Git

CHERRY_PICKED = re.compile(r"\(cherry picked from commit ([0-9a-f]{7,64})\)")


def patch_ids(git: Git, commits) -> dict[str, str]:
    """commit → its stable patch-id; merges and empty commits have none."""
    commits = sorted(set(commits))
    if not commits:
        return {}
    diffs = git.run_bytes(
        "diff-tree", "--stdin", "-r", "-p", "--root", input=_text(commits).encode()
    )
    if not diffs.strip():
        return {}
    found = {}
    for line in git.run_bytes("patch-id", "--stable", input=diffs).decode().splitlines():
        patch_id, commit = line.split()
        found[commit] = patch_id
    return found


def changed_paths(git: Git, commits) -> set[str]:
    if not commits:
        return set()
    names = git.run(
        "diff-tree",
        "--stdin",
        "-r",
        "--root",
        "--no-commit-id",
        "--name-only",
        input=_text(sorted(commits)),
    )
    return set(names.splitlines())


def same_patches(
    git: Git, wanted: dict[str, set[str]], paths: set[str], commits
) -> dict[str, set[str]]:
    """commit → wanted[its patch-id], for those of `commits` whose patch-id is
    wanted. Only a commit that changes one of `paths` (those the wanted patches
    change) can have such a patch-id, and a diff limited to those paths is cheap,
    so only those commits are diffed in full."""
    commits = set(commits)
    if not wanted or not paths or not commits:
        return {}
    touching = git.run(
        "diff-tree",
        "--stdin",
        "-r",
        "--root",
        "--name-only",
        "--",
        *sorted(paths),
        input=_text(sorted(commits)),
    )
    # Each commit that changes one of the paths is listed, then those paths.
    listed = {line for line in touching.splitlines() if line in commits}
    return {
        commit: wanted[patch_id]
        for commit, patch_id in patch_ids(git, listed).items()
        if patch_id in wanted
    }


def backports_among(git: Git, fixes, candidates) -> dict[str, set[str]]:
    """The commits among `candidates` that carry one of `fixes` (full commit ids)
    without being it, mapped to the fixes they carry. The messages and the
    patches are read by two git processes at once."""
    fixes = set(fixes)
    candidates = set(candidates) - fixes
    if not fixes or not candidates:
        return {}
    with ThreadPoolExecutor(max_workers=1) as pool:
        picked = pool.submit(_cherry_picks, git, fixes, candidates)
        by_patch = defaultdict(set)
        for fix, patch_id in patch_ids(git, fixes).items():
            by_patch[patch_id].add(fix)
        found = same_patches(git, by_patch, changed_paths(git, fixes), candidates)
        for commit, carried in picked.result().items():
            found[commit] = found.get(commit, set()) | carried
    return {commit: carried - {commit} for commit, carried in found.items() if carried - {commit}}


def _trailers(git: Git, commits) -> dict[str, tuple[str, ...]]:
    """commit → the commits its cherry-pick lines name, for those that have any."""
    listing = git.run(
        "rev-list",
        "--stdin",
        "--no-walk",
        "--no-commit-header",
        "--format=%x00%H%n%b",
        "--fixed-strings",
        "--grep=(cherry picked from commit ",
        input=_text(sorted(commits)),
    )
    named = {}
    for record in listing.split("\0")[1:]:
        commit, _, body = record.partition("\n")
        named[commit] = tuple(CHERRY_PICKED.findall(body))
    return named


def _cherry_picks(git: Git, fixes: set[str], candidates: set[str]) -> dict[str, set[str]]:
    """commit → the fixes its cherry-pick lines lead back to. A candidate may
    have been picked from a commit that is no candidate itself, so the commits
    the lines name are read too, until no new one is named."""
    named = _trailers(git, candidates)
    asked = candidates | fixes
    unread = {source for sources in named.values() for source in sources} - asked
    while unread:
        asked |= unread
        more = _trailers(git, {c for c in git.resolve(sorted(unread)).values() if c})
        named.update(more)
        unread = {source for sources in more.values() for source in sources} - asked
    # Follow the chains until no commit learns of another fix.
    carries = {fix: {fix} for fix in fixes}
    learned = True
    while learned:
        learned = False
        for commit, sources in named.items():
            known = carries.setdefault(commit, set())
            for source in sources:
                more = _carried_by(carries, source) - known
                if more:
                    known |= more
                    learned = True
    return {commit: carried for commit, carried in carries.items() if carried}


def _carried_by(carries: dict[str, set[str]], source: str) -> set[str]:
    if source in carries:
        return carries[source]
    if len(source) == 40:
        return set()
    # `cherry-pick -x` writes the full id, but people abbreviate by hand.
    return set().union(*(fixes for commit, fixes in carries.items() if commit.startswith(source)))


def _text(revs) -> str:
    return "".join(f"{rev}\n" for rev in revs)
