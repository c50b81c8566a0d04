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
from secdesk.fixes.tests.history import RandomHistory

RELEASES = r"^v(\d+)\.(\d+)$"


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
