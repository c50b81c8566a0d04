"""Real git repositories for the tests, built commit by commit with fixed dates,
and `git tag --contains` as the ground truth to check secdesk against."""

import os
import shutil
import subprocess
from pathlib import Path


class History:
    def __init__(self, path: Path, clock: int = 1_700_000_000):
        self.path = path
        self.clock = clock

    @classmethod
    def create(cls, path: Path) -> "History":
        path.mkdir(parents=True)
        history = cls(path)
        history.git("init", "--quiet", "--initial-branch=master")
        return history

    def copy(self, path: Path) -> "History":
        shutil.copytree(self.path, path, symlinks=True)
        return History(path, self.clock)

    def git(self, *args: str) -> str:
        self.clock += 60
        stamp = f"{self.clock} +0000"
        env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        done = subprocess.run(
            [
                "git",
                "-c",
                "user.name=Alice Maintainer",
                "-c",
                "user.email=alice@example.org",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "tag.gpgsign=false",
                *args,
            ],
            cwd=self.path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def commit(self, message: str, files: dict[str, str] | None = None) -> str:
        for name, content in (files or {}).items():
            (self.path / name).write_text(content)
            self.git("add", name)
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def checkout(self, name: str, new_at: str | None = None):
        if new_at:
            self.git("checkout", "--quiet", "-b", name, new_at)
        else:
            self.git("checkout", "--quiet", name)

    def merge(self, branch: str, message: str) -> str:
        self.git("merge", "--quiet", "--no-ff", "-m", message, branch)
        return self.head()

    def cherry_pick(self, commit: str, trailer: bool = True) -> str:
        self.git("cherry-pick", *(["-x"] if trailer else []), commit)
        return self.head()

    def tag(self, name: str, annotated: bool = False):
        self.git("tag", *(["-a", "-m", name] if annotated else []), name)

    def tags_containing(self, commit: str) -> set[str]:
        return set(self.git("tag", "--contains", commit).split())

    def tags_merged_into(self, tag: str) -> set[str]:
        return set(self.git("tag", "--merged", tag).split())

    def commit_of(self, rev: str) -> str:
        return self.git("rev-parse", f"{rev}^{{commit}}")
