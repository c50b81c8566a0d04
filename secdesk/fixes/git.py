"""The one place secdesk runs git: an argument list, never a shell, and a failure
that says in one line which command failed and why."""

import os
import subprocess
import tempfile
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

    def __init__(self, path: str | Path, *, umask: int = -1):
        self.path = Path(path)
        # For the files git makes; -1 leaves the process's umask.
        self.umask = umask

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
        return self.start(*args, input=input).output()

    def start(self, *args: str, input: bytes | None = None) -> "Running":
        """git running in the background while the caller does other work; its
        input comes from a temporary file, so that no pipe can fill up while
        nobody reads it, and several git processes can run at once."""
        if input is None:
            return Running(self, args, self._spawn(args, subprocess.DEVNULL, subprocess.PIPE))
        with tempfile.TemporaryFile() as stdin:
            stdin.write(input)
            stdin.seek(0)
            return Running(self, args, self._spawn(args, stdin, subprocess.PIPE))

    def patch_ids(self, commits) -> dict[str, str]:
        """commit → its `git patch-id --stable`, for the commits that have a
        patch (merges and empty commits have none). The diffs flow from one git
        process to the other without passing through Python."""
        if not commits:
            return {}
        diff = self.start("diff-tree", "--stdin", "-r", "-p", "--root", input=_lines(commits))
        patch_id = Running(
            self,
            ("patch-id",),
            self._spawn(("patch-id", "--stable"), diff.process.stdout, subprocess.PIPE),
        )
        diff.process.stdout.close()
        found = patch_id.output()
        diff.wait()
        pairs = (line.split() for line in found.decode().splitlines())
        return {commit: patch for patch, commit in pairs}

    def _spawn(self, args, stdin, stdout) -> subprocess.Popen:
        try:
            return subprocess.Popen(
                ["git", *args],
                cwd=self.path,
                stdin=stdin,
                stdout=stdout,
                stderr=subprocess.PIPE,
                env={**os.environ, **_ENV},
                umask=self.umask,
            )
        except FileNotFoundError:
            raise GitFailed("git is not installed (no `git` on PATH)") from None

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


class Running:
    """A git process started by `Git.start`."""

    def __init__(self, git: Git, args, process: subprocess.Popen):
        self.git, self.args, self.process = git, args, process

    def output(self) -> bytes:
        """git's standard output once it has finished, or GitFailed."""
        out, err = self.process.communicate()
        self._check(err)
        return out

    def text(self) -> str:
        return self.output().decode(errors="replace")

    def chunks(self):
        """git's standard output as it comes, then GitFailed if git failed."""
        with self.process.stdout as stdout:
            while chunk := stdout.read(1 << 18):
                yield chunk
        self.wait()

    def wait(self):
        """For a process whose output went to another process."""
        with self.process.stderr as stderr:
            err = stderr.read()
        self.process.wait()
        self._check(err)

    def _check(self, stderr: bytes):
        if self.process.returncode != 0:
            text = stderr.decode(errors="replace")
            reason = next((line for line in text.splitlines() if line.strip()), "")
            raise GitFailed(
                f"git {self.args[0]} failed in {self.git.path}: {reason or 'no reason given'}"
            )


def _lines(revs) -> bytes:
    return "".join(f"{rev}\n" for rev in revs).encode()
