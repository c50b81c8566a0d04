"""Which commits are the same fix as a recorded one, on another branch.

A backport counts when it is the fix commit itself, when its message carries
the `(cherry picked from commit X)` line that `git cherry-pick -x` writes and X
is a fix (or a backport of one: a cherry-pick of a cherry-pick), or when its
`git patch-id --stable` equals a fix's.
"""

import re
from collections import defaultdict
from posixpath import dirname

from secdesk.fixes.git import Git

CHERRY_PICKED = re.compile(r"\(cherry picked from commit ([0-9a-f]{7,64})\)")


def patch_ids(git: Git, commits) -> dict[str, str]:
    """commit → its stable patch-id; merges and empty commits have none."""
    return git.patch_ids(sorted(set(commits)))


def changed_paths(git: Git, commits) -> dict[str, frozenset[str]]:
    """commit → the paths it changes."""
    commits = set(commits)
    if not commits:
        return {}
    listing = git.run(
        "diff-tree", "--stdin", "-r", "--root", "--name-only", input=_text(sorted(commits))
    )
    return _paths_by_commit(listing, commits)


class PatchSearch:
    """Finds the commits that carry the same patch as one of some fixes.

    Two patches can only be equal when they change the same files, so each
    commit is first asked, in one cheap path-limited `git diff-tree`, which
    files it changes in the directories the fixes touch; only those whose
    files are exactly a fix's are diffed in full for their patch-id. Limiting
    by directory rather than by file keeps git's path matching short when
    there are hundreds of fixes.

    The fixes may live in another repository than the commits searched
    (`fixes_in`): the leak guard compares a public push with the private
    mirror's fixes."""

    def __init__(self, git: Git, fixes, *, fixes_in: Git | None = None):
        self.git = git
        self.fixes_of: dict[str, set[str]] = defaultdict(set)
        self.files: set[frozenset[str]] = set()
        fixes = sorted(set(fixes))
        paths = changed_paths(fixes_in or git, fixes)
        for fix, patch_id in patch_ids(fixes_in or git, fixes).items():
            self.fixes_of[patch_id].add(fix)
            self.files.add(paths[fix])
        # A file at the top of the tree is its own pathspec: "" would be everything.
        self.pathspec = sorted({dirname(p) or p for files in self.files for p in files})

    def start(self, commits):
        """The path-limited listing, started in the background; `finish` reads it."""
        if not self.pathspec or not commits:
            return None
        listing = self.git.start(
            "diff-tree",
            "--stdin",
            "-r",
            "--root",
            "--name-only",
            "--",
            *self.pathspec,
            input=_text(commits).encode(),
        )
        return listing, set(commits)

    def finish(self, started) -> dict[str, set[str]]:
        """commit → the fixes whose patch it carries."""
        if started is None:
            return {}
        listing, commits = started
        touching = _paths_by_commit(listing.text(), commits)
        same_files = [commit for commit, files in touching.items() if files in self.files]
        return {
            commit: self.fixes_of[patch_id]
            for commit, patch_id in patch_ids(self.git, same_files).items()
            if patch_id in self.fixes_of
        }


def same_patches(git: Git, fixes, commits, *, fixes_in: Git | None = None) -> dict[str, set[str]]:
    """commit → the fixes among `fixes` whose patch it carries, for `commits`."""
    search = PatchSearch(git, fixes, fixes_in=fixes_in)
    return search.finish(search.start(set(commits)))


def backports_among(git: Git, fixes, candidates) -> dict[str, set[str]]:
    """The commits among `candidates` that carry one of `fixes` (full commit ids)
    without being it, mapped to the fixes they carry. The messages and the
    patches are read by git processes running at once."""
    fixes = set(fixes)
    candidates = set(candidates) - fixes
    if not fixes or not candidates:
        return {}
    search = PatchSearch(git, fixes)
    listing = search.start(candidates)
    found = _cherry_picks(git, fixes, candidates)
    for commit, carried in search.finish(listing).items():
        found[commit] = found.get(commit, set()) | carried
    return {commit: carried - {commit} for commit, carried in found.items() if carried - {commit}}


def _paths_by_commit(listing: str, commits: set[str]) -> dict[str, frozenset[str]]:
    """`diff-tree --stdin --name-only` output: each commit asked about that
    changes something, then the paths it changes."""
    paths: dict[str, list[str]] = {}
    current: list[str] = []
    for line in listing.splitlines():
        if line in commits:
            current = paths.setdefault(line, [])
        elif line:
            current.append(line)
    return {commit: frozenset(files) for commit, files in paths.items()}


def _trailers(git: Git, commits) -> dict[str, tuple[str, ...]]:
    """commit → the commits its cherry-pick lines name, for those that have any."""
    if not commits:
        return {}
    listing = git.run(
        "rev-list",
        "--stdin",
        "--no-walk=unsorted",
        "--no-commit-header",
        "--format=%x00%H%n%b",
        "--fixed-strings",
        "--grep=(cherry picked from commit ",
        input=_text(commits),
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
