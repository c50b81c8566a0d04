"""How much faster is `secdesk git affected` than `git tag --contains` per commit?

Builds, with `git fast-import` in a temporary directory, a curl-sized history:
40,000 commits, a master line with merged topic branches and 4 maintenance
branches forked from it, 40 release tags on each (200 in all), and 200 cases
whose fixes are backported where the bug exists (half with `cherry-pick -x`'s
trailer and an adapted patch, half the same patch without a trailer). With a
commit-graph, it times `secdesk --json git affected` on the batch (start-up
included, best of 3) against `git tag --contains` once per introducing, fix and
backport commit, checks both give the same releases, and prints the ratio.

    uv run python bench/git_affected.py [--commits N] [--cache]
"""

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

RELEASES = r"^v(\d+)\.(\d+)\.(\d+)$"
CACHE = Path(__file__).resolve().parent.parent / ".bench-cache"
BRANCHES = 5
EPOCH = 1_600_000_000


@dataclass
class Case:
    id: str
    introduced: list[str]
    fixed: list[str]
    # Every commit that carries the fix, as the generator made them: what the
    # baseline is told, and what secdesk has to find by itself.
    carried_by: list[str] = field(default_factory=list)


@dataclass
class Synthetic:
    path: str
    commits: int
    tags: int
    cases: list[Case]


# ----------------------------------------------------------------- generation


class Stream:
    """A `git fast-import` stream, written as the history is invented."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.mark = 0
        self.clock = EPOCH

    def commit(self, ref, message, parents=(), files=None) -> int:
        self.mark += 1
        self.clock += 37
        who = f"Dev {self.mark % 50} <dev{self.mark % 50}@example.org> {self.clock} +0000"
        text = message.encode()
        lines = [
            f"commit {ref}",
            f"mark :{self.mark}",
            f"author {who}",
            f"committer {who}",
            f"data {len(text)}",
        ]
        self.parts.append(("\n".join(lines) + "\n").encode() + text + b"\n")
        head = [f"from {parents[0]}"] if parents else []
        head += [f"merge {parent}" for parent in parents[1:]]
        for path, content in (files or {}).items():
            data = content.encode()
            head.append(f"M 100644 inline {path}\ndata {len(data)}\n{content}")
        self.parts.append(("\n".join(head) + "\n\n").encode() if head else b"\n")
        return self.mark

    def tag(self, name, target, annotated):
        if annotated:
            text = f"Release {name}\n".encode()
            who = f"Release Bot <release@example.org> {self.clock} +0000"
            self.parts.append(
                f"tag {name}\nfrom {target}\ntagger {who}\ndata {len(text)}\n".encode()
                + text
                + b"\n"
            )
        else:
            self.parts.append(f"reset refs/tags/{name}\nfrom {target}\n\n".encode())

    def load(self, repo: Path, marks: Path):
        subprocess.run(
            [
                "git",
                "fast-import",
                "--quiet",
                f"--import-marks-if-exists={marks}",
                f"--export-marks={marks}",
            ],
            cwd=repo,
            input=b"".join(self.parts),
            check=True,
        )
        self.parts = []


def build(path: Path, commits=40_000, tags_per_branch=40, cases=200, seed=5) -> Synthetic:
    """Invent the history and load it with two `git fast-import` runs: master
    first, so that the maintenance branches can name the master fixes they pick
    by commit id."""
    rnd = random.Random(seed)
    subprocess.run(
        ["git", "init", "--quiet", "--bare", "--initial-branch=master", str(path)], check=True
    )
    marks = path / "bench-marks"
    master_share = commits * 4 // 5
    plan = _plan_cases(rnd, cases, master_share)
    stream = Stream()
    line, master_tags = _master(stream, rnd, plan, master_share, tags_per_branch)
    stream.load(path, marks)
    sha = _read_marks(marks)
    result = [Case(f"case-{n}", [], []) for n in range(len(plan))]
    for number, case in enumerate(plan):
        fix = sha[line[case["fix"]]]
        result[number].fixed.append(fix)
        result[number].carried_by.append(fix)
        if case["intro"] is not None:
            result[number].introduced.append(sha[line[case["intro"]]])
    stream.mark = max(sha)
    per_maint = (commits - master_share) // (BRANCHES - 1)
    _maintenance(stream, rnd, plan, master_tags, (per_maint, tags_per_branch), (sha, line))
    stream.load(path, marks)
    sha = _read_marks(marks)
    marks.unlink()

    # The batch: half the cases name only the master fix and leave the
    # backports to secdesk, half name every branch's commit, as notices do.
    for number, case in enumerate(plan):
        picks = [sha[mark] for mark in case.get("backports", [])]
        result[number].carried_by += picks
        if number % 4 < 2:
            result[number].fixed += picks
    count = int(_git(path, "rev-list", "--count", "--all"))
    tags = len(_git(path, "tag").split())
    return Synthetic(str(path), count, tags, result)


def _master(stream, rnd, plan, master_share, tags_per_branch):
    """master: a line of commits with a topic branch merged every 200, and a
    release every master_share / tags_per_branch commits. Its commits (marks,
    oldest first, topics included) and its releases (tag, mark, place in the
    line); the plan's places become places in the line."""
    line: list[int] = []  # master's commits, oldest first, topics included
    index_at: dict[int, int] = {}  # a master position → its place in `line`
    master_tags: list[tuple[str, int, int]] = []  # (tag, mark, position in line)
    tag_every = max(1, master_share // tags_per_branch)
    fix_at = {case["fix"]: number for number, case in enumerate(plan)}
    position = 0
    while position < master_share:
        parents = [f":{line[-1]}"] if line else []
        if position in fix_at:
            number = fix_at[position]
            mark = stream.commit(
                "refs/heads/master",
                f"Fix case {number} (CVE-2026-{1000 + number})\n",
                parents,
                {f"security/fix-{number}.c": _fix_text(number)},
            )
        elif position % 200 == 199 and len(line) > 10:
            topic = [
                stream.commit(
                    "refs/heads/topic",
                    f"Topic work {position}.{i}\n",
                    [f":{line[-10]}"] if i == 0 else [f":{stream.mark}"],
                    {f"topic/t{position % 97}.c": f"{position}.{i}\n"},
                )
                for i in range(3)
            ]
            line += topic
            mark = stream.commit(
                "refs/heads/master", f"Merge topic {position}\n", [*parents, f":{topic[-1]}"]
            )
        else:
            mark = stream.commit(
                "refs/heads/master",
                f"Change {position}\n",
                parents,
                {f"src/f{rnd.randrange(1000)}.c": f"{position}\n"},
            )
        line.append(mark)
        index_at[position] = len(line) - 1
        position += 1
        if position % tag_every == 0 and len(master_tags) < tags_per_branch:
            t = len(master_tags)
            name = f"v{1 + t // 20}.{t % 20}.0"
            stream.tag(name, f":{mark}", annotated=t % 10 == 0)
            master_tags.append((name, mark, len(line) - 1))
    for case in plan:
        case["fix"] = index_at[case["fix"]]
        case["intro"] = None if case["intro"] is None else index_at[case["intro"]]
    return line, master_tags


def _maintenance(stream, rnd, plan, master_tags, sizes, master):
    """Four maintenance branches, forked at evenly spaced master releases, each
    with its releases and the backports of the fixes it needs (their marks go
    to the plan's "backports")."""
    per_maint, tags_per_branch = sizes
    sha, line = master
    forks = [master_tags[(k + 1) * len(master_tags) // BRANCHES - 1] for k in range(BRANCHES - 1)]
    for k, (fork_tag, fork_mark, fork_position) in enumerate(forks):
        branch = f"refs/heads/v{k + 1}-maint"
        needing = [
            n
            for n, case in enumerate(plan)
            if (case["intro"] is None or case["intro"] <= fork_position)
            and case["fix"] > fork_position
            and rnd.random() < 0.8
        ]
        backport_at = {rnd.randrange(per_maint): n for n in needing}
        base = fork_tag.rsplit(".", 1)[0]
        every = max(1, per_maint // tags_per_branch)
        head, made = f":{fork_mark}", 0
        for step in range(per_maint):
            if step in backport_at:
                number = backport_at[step]
                message, text = _backport(number, sha[line[plan[number]["fix"]]], k)
                mark = stream.commit(branch, message, [head], {f"security/fix-{number}.c": text})
                backport_mark = mark
            else:
                mark = stream.commit(
                    branch,
                    f"Maintain v{k + 1}: {step}\n",
                    [head],
                    {f"src/f{rnd.randrange(1000)}.c": f"v{k + 1}.{step}\n"},
                )
                backport_mark = None
            head = f":{mark}"
            if backport_mark:
                plan[number].setdefault("backports", []).append(backport_mark)
            if (step + 1) % every == 0 and made < tags_per_branch:
                made += 1
                stream.tag(f"{base}.{made}", head, annotated=made % 10 == 0)


def _backport(number: int, fix: str, k: int) -> tuple[str, str]:
    """A backport's message and text: half pick with -x and adapt the patch,
    half apply it unchanged without a trailer."""
    if number % 2:
        message = (
            f"Fix case {number} (CVE-2026-{1000 + number})\n\n(cherry picked from commit {fix})\n"
        )
        return message, _fix_text(number) + f"/* adapted for v{k + 1} */\n"
    return f"Fix case {number} on v{k + 1}\n", _fix_text(number)


def _plan_cases(rnd: random.Random, cases: int, length: int) -> list[dict]:
    """Where each case's bug came in and where master fixed it; every tenth bug
    is as old as the project (no introducing commit known)."""
    used, plan = set(), []
    while len(plan) < cases:
        fix = rnd.randrange(length // 10, length - 1)
        if fix in used or fix % 200 == 199:
            continue
        used.add(fix)
        intro = None if len(plan) % 10 == 0 else rnd.randrange(0, fix)
        if intro is not None and (intro in used or intro % 200 == 199):
            continue
        plan.append({"fix": fix, "intro": intro})
    return plan


def _fix_text(number: int) -> str:
    return f"/* case {number} */\nint check_{number}(int n) {{ return n < {number + 16}; }}\n"


def _read_marks(marks: Path) -> dict[int, str]:
    pairs = (line.split() for line in marks.read_text().splitlines())
    return {int(mark[1:]): commit for mark, commit in pairs}


def _git(path, *args) -> str:
    return subprocess.run(
        ["git", *args], cwd=path, capture_output=True, text=True, check=True
    ).stdout.strip()


# ------------------------------------------------------------------ baseline


def baseline(
    synthetic: Synthetic, progress=None, runs: int = 1
) -> tuple[dict[str, dict], float, float]:
    """The answers `git tag --contains` gives, once per commit, and how long that
    took: the best of `runs` passes over all the commits, each timed as a
    whole, as secdesk's runs are. Which release first ships a fix on its line
    needs the ancestry of the fixed releases too (one `git tag --merged` per
    release tag), timed apart and left out of the comparison."""
    path = synthetic.path
    regex = re.compile(RELEASES)
    version = {
        tag: ".".join(g for g in regex.match(tag).groups() if g)
        for tag in _git(path, "tag").split()
        if regex.match(tag)
    }
    commits = sorted({c for case in synthetic.cases for c in case.introduced + case.carried_by})
    passes = []
    for _ in range(runs):
        started = time.perf_counter()
        containing = _containing(path, commits, version, progress)
        passes.append(time.perf_counter() - started)
    started = time.perf_counter()
    behind = _behind(path, version)
    ancestry = time.perf_counter() - started
    answers = {case.id: _answer(case, version, containing, behind) for case in synthetic.cases}
    return answers, min(passes), ancestry


def _containing(path, commits, version, progress) -> dict[str, set[str]]:
    containing = {}
    for done, commit in enumerate(commits):
        tags = _git(path, "tag", "--contains", commit).split()
        containing[commit] = {tag for tag in tags if tag in version}
        if progress and done % 50 == 0:
            progress(done, len(commits))
    return containing


def _behind(path, version) -> dict[str, set[str]]:
    """Each release: the releases in its history, but for those on its commit."""
    # An annotated tag's commit comes first (%(*objectname)), a lightweight one's alone.
    listing = _git(
        path,
        "for-each-ref",
        "--format=%(refname:lstrip=2) %(*objectname)%(objectname)",
        "refs/tags/",
    )
    tag_commit = {tag: both[:40] for tag, both in (line.split() for line in listing.splitlines())}
    return {
        tag: {
            t
            for t in _git(path, "tag", "--merged", tag).split()
            if t in version and tag_commit[t] != tag_commit[tag]
        }
        for tag in version
    }


def _answer(case: Case, version, containing, behind) -> dict:
    reached = (
        set(version)
        if not case.introduced
        else set().union(*(containing[c] for c in case.introduced))
    )
    fixed = set().union(*(containing[c] for c in case.carried_by))
    first = {tag for tag in fixed if not behind[tag] & fixed}
    affected = _sorted_versions(version[tag] for tag in reached - fixed)
    return {
        "id": case.id,
        "affected": affected,
        "first_affected": affected[0] if affected else None,
        "last_affected": affected[-1] if affected else None,
        "fixed_in": _sorted_versions(version[tag] for tag in first),
    }


def _sorted_versions(versions) -> list[str]:
    return sorted(set(versions), key=lambda v: tuple(int(p) for p in v.split(".")))


# ------------------------------------------------------------------- secdesk


def secdesk_answers(synthetic: Synthetic, runs: int = 1) -> tuple[dict[str, dict], list[float]]:
    """`secdesk --json git affected` on the batch, and its wall-clock time in
    each of `runs` runs (one run is short enough that other load on the
    machine shows in it; the baseline's hundreds of runs average that out)."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as batch:
        for case in synthetic.cases:
            record = {"id": case.id, "introduced": case.introduced, "fixed": case.fixed}
            batch.write(json.dumps(record) + "\n")
    command = shutil.which("secdesk") or sys.exit("bench: no `secdesk` on PATH; use uv run")
    argv = [command, "--json", "git", "affected", "--repo", synthetic.path, "--tags", RELEASES]
    argv += ["--batch", batch.name]
    times = []
    try:
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run(argv, capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                sys.exit(f"bench: secdesk git affected failed: {done.stderr.strip()}")
    finally:
        os.unlink(batch.name)
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    return {answer["id"]: answer for answer in answers}, times


# ---------------------------------------------------------------------- main


def prepare(place: Path, commits: int, reuse: bool) -> tuple[Synthetic, float | None]:
    """The repository at `place`: reused (with --cache), or built, with how long
    building took."""
    description = place.with_suffix(".json")
    if reuse and description.exists() and place.is_dir():
        data = json.loads(description.read_text())
        return Synthetic(
            data["path"], data["commits"], data["tags"], [Case(**case) for case in data["cases"]]
        ), None
    shutil.rmtree(place, ignore_errors=True)
    started = time.perf_counter()
    synthetic = build(place, commits=commits)
    _git(place, "commit-graph", "write", "--reachable", "--changed-paths")
    took = time.perf_counter() - started
    description.write_text(json.dumps(asdict(synthetic)))
    return synthetic, took


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=40_000)
    parser.add_argument(
        "--cache",
        action="store_true",
        help="keep the repository under .bench-cache/ and reuse it (default: a temporary one)",
    )
    parser.add_argument("--runs", type=int, default=3, help="secdesk runs; the best counts")
    parser.add_argument(
        "--baseline-runs",
        type=int,
        default=1,
        help="passes of git tag --contains over all the commits; the best counts",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-git-affected-") as temporary:
        if args.cache:
            CACHE.mkdir(exist_ok=True)
        place = (CACHE if args.cache else Path(temporary)) / f"git-affected-{args.commits}"
        synthetic, built_in = prepare(place, args.commits, args.cache)
        compare(synthetic, built_in, args)


def compare(synthetic: Synthetic, built_in: float | None, args):
    if built_in is None:
        print(f"repository: reused {synthetic.path}")
    else:
        print(
            f"repository: built {synthetic.path} in {built_in:.1f} s (fast-import + commit-graph)"
        )
    looked_up = {c for case in synthetic.cases for c in case.introduced + case.carried_by}
    print(
        f"  {synthetic.commits} commits, {synthetic.tags} release tags on {BRANCHES} branches, "
        f"{len(synthetic.cases)} cases, {len(looked_up)} commits to look up"
    )

    ours, ours_times = secdesk_answers(synthetic, runs=args.runs)
    ours_time = min(ours_times)
    print(
        f"secdesk git affected:          {ours_time:8.2f} s  (best of {args.runs} runs: "
        + ", ".join(f"{t:.2f}" for t in ours_times)
        + ")"
    )

    def progress(done, total):
        print(f"  git tag --contains: {done}/{total}", end="\r", file=sys.stderr, flush=True)

    theirs, theirs_time, ancestry_time = baseline(synthetic, progress, runs=args.baseline_runs)
    print(
        f"git tag --contains per commit: {theirs_time:8.2f} s  ({len(looked_up)} runs"
        + (f", best of {args.baseline_runs} passes" if args.baseline_runs > 1 else "")
        + ")"
    )
    print(
        f"  (plus {ancestry_time:.1f} s of `git tag --merged` per release for the first fixed "
        "releases, not counted)"
    )

    differing = [case.id for case in synthetic.cases if ours.get(case.id) != theirs[case.id]]
    if differing:
        first = differing[0]
        sys.exit(
            f"bench: results differ for {len(differing)} cases, e.g. {first}: "
            f"secdesk fixed_in {ours.get(first, {}).get('fixed_in')}, "
            f"git {theirs[first]['fixed_in']}"
        )
    print(f"results identical for all {len(synthetic.cases)} cases")
    print(f"ratio: {theirs_time / ours_time:.1f}x faster (target: at least 10x)")


if __name__ == "__main__":
    main()
