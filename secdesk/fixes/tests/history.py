"""Real git repositories for the tests, built commit by commit with fixed dates,
and `git tag --contains` as the ground truth to check secdesk against."""

import os
import random
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


class RandomHistory:
    """A history written through `git fast-import`, and what it holds: for
    each fix, every commit that carries it."""

    def __init__(self, rnd: random.Random, path, *, reverts: bool = False):
        self.rnd = rnd
        # Off for the walk's own test, whose seeds name the histories it was
        # checked on; a revert changes no answer of the walk, only of people.
        self.reverts = reverts
        subprocess.run(["git", "init", "--quiet", "--bare", str(path)], check=True)
        # Interactive, so that a cherry-pick line can name the id its fix got.
        self.importer = subprocess.Popen(
            ["git", "fast-import", "--quiet", "--cat-blob-fd=1"],
            cwd=path,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.write(b"feature get-mark\n")
        self.mark = 0
        self.heads = {"master": None}
        self.fixes_in = {"master": frozenset()}  # branch → fixes its history holds
        self.fixes: dict[int, int] = {}  # case → the mark of its master fix
        self.carried_by: dict[int, list[int]] = {}
        self.ordinary: list[int] = []
        self.tags = 0

    def commit(self, branch, message, files=None, merge=None) -> int:
        self.mark += 1
        who = f"Dev <dev@example.org> {1_700_000_000 + self.mark * 60} +0000"
        text = message.encode()
        head = [f"commit refs/heads/{branch}", f"mark :{self.mark}"]
        head += [f"author {who}", f"committer {who}", f"data {len(text)}"]
        self.write(("\n".join(head) + "\n").encode() + text + b"\n")
        parents = [f"from :{self.heads[branch]}"] if self.heads[branch] else []
        parents += [f"merge :{self.heads[merge]}"] if merge else []
        changes = [
            f"M 100644 inline {path}\ndata {len(content)}\n{content}"
            for path, content in (files or {}).items()
        ]
        self.write(("\n".join(parents + changes) + "\n\n").encode())
        self.heads[branch] = self.mark
        return self.mark

    def step(self):
        rnd, branch = self.rnd, self.rnd.choice(sorted(self.heads))
        roll = rnd.random()
        if roll < 0.06 and len(self.heads) < 5 and self.heads["master"]:
            name = f"b{len(self.heads)}"
            self.heads[name], self.fixes_in[name] = self.heads[branch], self.fixes_in[branch]
        elif roll < 0.12 and branch == "master":
            case = len(self.fixes)
            self.fixes[case] = self.commit(
                "master", f"Fix case {case}\n", {f"fix-{case}.c": _fix(case)}
            )
            self.carried_by[case] = [self.fixes[case]]
            self.fixes_in["master"] |= {case}
        elif roll < 0.2 and (missing := sorted(set(self.fixes) - self.fixes_in[branch])):
            case = rnd.choice(missing)
            if rnd.random() < 0.5:
                fix = self.sha(self.fixes[case])
                message = f"Fix case {case}\n\n(cherry picked from commit {fix})\n"
                content = _fix(case) + f"/* adapted for {branch} */\n"
            else:
                message, content = f"Apply the fix for case {case}\n", _fix(case)
            self.carried_by[case].append(self.commit(branch, message, {f"fix-{case}.c": content}))
            self.fixes_in[branch] |= {case}
        elif roll < 0.27 and len(self.heads) > 1:
            other = rnd.choice(sorted(set(self.heads) - {branch}))
            self.commit(branch, f"Merge {other} into {branch}\n", merge=other)
            self.fixes_in[branch] |= self.fixes_in[other]
        elif self.reverts and roll < 0.3 and (held := sorted(self.fixes_in[branch])):
            case = rnd.choice(held)
            message = f"Revert the fix for case {case}\n\nIt broke the build.\n"
            self.commit(branch, message, {f"fix-{case}.c": "/* reverted */\n"})
        elif roll < 0.35 and self.heads[branch]:
            self.tags += 1
            tag = f"v{self.tags}.{rnd.randrange(3)}"
            self.write(f"reset refs/tags/{tag}\nfrom :{self.heads[branch]}\n\n".encode())
        else:
            self.ordinary.append(
                self.commit(
                    branch, f"Change {self.mark}\n", {f"f{self.mark % 7}.c": f"{self.mark}\n"}
                )
            )

    def write(self, data: bytes):
        self.importer.stdin.write(data)

    def sha(self, mark: int) -> str:
        self.write(f"get-mark :{mark}\n".encode())
        self.importer.stdin.flush()
        return self.importer.stdout.readline().decode().strip()

    def finish(self) -> dict[int, str]:
        """mark → commit id, once the history is written."""
        ids = {mark: self.sha(mark) for mark in range(1, self.mark + 1)}
        self.importer.stdin.close()
        assert self.importer.wait() == 0
        self.importer.stdout.close()
        return ids


def _fix(case: int) -> str:
    return f"int check_{case}(int n) {{ return n < {case + 16}; }}\n"


def _fix(case: int) -> str:
    return f"int check_{case}(int n) {{ return n < {case + 16}; }}\n"
