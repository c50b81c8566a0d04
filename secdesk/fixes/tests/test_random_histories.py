"""The one walk, checked against `git tag --contains` on histories made at
random: branches forked anywhere, merged into each other in both directions,
tags anywhere, fixes backported with `cherry-pick -x` (adapted) or as the
same patch, and cases naming some of the backports or none."""

import random
import subprocess

import pytest

from secdesk.fixes.affected import CaseCommits, affected_releases
from secdesk.fixes.git import Git
from secdesk.fixes.releases import ReleaseScheme, sorted_versions

RELEASES = r"^v(\d+)\.(\d+)$"


class RandomHistory:
    """A history written through `git fast-import`, and what it holds: for
    each fix, every commit that carries it."""

    def __init__(self, rnd: random.Random, path):
        self.rnd = rnd
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


def tags_containing(path, commit) -> set[str]:
    return set(
        subprocess.run(
            ["git", "tag", "--contains", commit], cwd=path, capture_output=True, text=True
        ).stdout.split()
    )


@pytest.mark.parametrize("seed", range(6))
def test_random_history_agrees_with_git_tag_contains(tmp_path, seed):
    rnd = random.Random(seed)
    path = tmp_path / "random.git"
    history = RandomHistory(rnd, path)
    for _ in range(260):
        history.step()
    sha = history.finish()
    git = Git(path)
    git.write_commit_graph()

    cases, truth = [], {}
    for case, carriers in sorted(history.carried_by.items()):
        fix = history.fixes[case]
        earlier = [m for m in history.ordinary if m < fix]
        introduced = [sha[rnd.choice(earlier)]] if earlier and rnd.random() < 0.8 else []
        named = [sha[m] for m in carriers if m == fix or rnd.random() < 0.4]
        cases.append(CaseCommits(f"case-{case}", introduced, named))
        truth[f"case-{case}"] = ([sha[m] for m in carriers], introduced)

    versions = {
        tag: ".".join(tag[1:].split("."))
        for tag in subprocess.run(
            ["git", "tag"], cwd=path, capture_output=True, text=True
        ).stdout.split()
    }
    merged = {
        tag: set(
            subprocess.run(
                ["git", "tag", "--merged", tag], cwd=path, capture_output=True, text=True
            ).stdout.split()
        )
        for tag in versions
    }
    commit_of = {tag: git.resolve([tag])[tag] for tag in versions}

    outcomes = affected_releases(git, ReleaseScheme(RELEASES), cases)
    assert len(cases) >= 3
    for outcome in outcomes:
        carriers, introduced = truth[outcome.id]
        reached = (
            set(versions)
            if not introduced
            else set().union(*(tags_containing(path, c) for c in introduced))
        )
        fixed = set().union(*(tags_containing(path, c) for c in carriers))
        first = {
            tag
            for tag in fixed
            if not {t for t in merged[tag] & fixed if commit_of[t] != commit_of[tag]}
        }
        assert outcome.error is None
        assert outcome.affected == sorted_versions(versions[t] for t in reached - fixed), outcome.id
        assert outcome.fixed_in == sorted_versions(versions[t] for t in first), outcome.id
