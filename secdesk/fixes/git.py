"""The one place secdesk runs git: an argument list, never a shell, and a failure
that says in one line which command failed and why."""

import os
import subprocess
from pathlib import Path

from secdesk.errors import Refused

# A fixed locale keeps git's messages predictable, and no prompt may ever wait
# for a password in a worker. Output is parsed only from plumbing commands
# (rev-list, diff-tree, cat-file, for-each-ref), which user config cannot restyle.
# Paths given to git are file names, never pathspec magic.
_ENV = {"LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_LITERAL_PATHSPECS": "1"}


class GitFailed(Refused):
    rule = "git"


class Git:
    """A repository on disk (bare or a work tree), and git run inside it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @classmethod
    def open(cls, path: str | Path) -> "Git":
        """The repository at `path`, or a one-line refusal if there is none."""
        if not Path(path).is_dir():
            raise GitFailed(f"{path}: no such directory")
        git = cls(path)
        try:
            git.run("rev-parse", "--git-dir")
        except GitFailed:
            raise GitFailed(f"{path}: not a git repository") from None
        return git

    def run(self, *args: str, input: str | None = None) -> str:
        """git's standard output, or GitFailed naming the command and git's reason."""
        return self.run_bytes(*args, input=None if input is None else input.encode()).decode(
            errors="replace"
        )

    def run_bytes(self, *args: str, input: bytes | None = None) -> bytes:
        """As `run`, for output that must stay byte for byte, such as a diff."""
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=self.path,
                input=input,
                capture_output=True,
                env={**os.environ, **_ENV},
                check=False,
            )
        except FileNotFoundError:
            raise GitFailed("git is not installed (no `git` on PATH)") from None
        if done.returncode != 0:
            stderr = done.stderr.decode(errors="replace")
            reason = next((line for line in stderr.splitlines() if line.strip()), "")
            raise GitFailed(f"git {args[0]} failed in {self.path}: {reason or 'no reason given'}")
        return done.stdout

    def has_commit_graph(self) -> bool:
        info = Path(self.run("rev-parse", "--git-path", "objects/info").strip())
        info = info if info.is_absolute() else self.path / info
        return (info / "commit-graph").exists() or (info / "commit-graphs").is_dir()

    def write_commit_graph(self):
        # Changed-path Bloom filters make the path-limited search for backports fast.
        self.run("commit-graph", "write", "--reachable", "--changed-paths", "--split")

    def resolve(self, revs: list[str]) -> dict[str, str | None]:
        """Each rev (a full or abbreviated commit id) → its full commit id, or None
        when the repository has no such commit. One git process for all of them."""
        if not revs:
            return {}
        answer = self.run(
            "cat-file",
            "--batch-check=%(objectname)",
            input="".join(f"{r}^{{commit}}\n" for r in revs),
        )
        found = {}
        for rev, line in zip(revs, answer.splitlines(), strict=True):
            is_commit = len(line) >= 40 and " " not in line
            found[rev] = line if is_commit else None
        return found
