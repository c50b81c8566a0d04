"""`secdesk git affected`, run as scripts run it (`main(argv)` in this process),
checked against `git tag --contains`."""

import json
import re

import pytest

from secdesk.fixes.tests.conftest import RELEASES
from secdesk.testing import Cli


def run_affected(repo, cases, *options, batch_text=None, tmp_path):
    batch = tmp_path / "batch.jsonl"
    batch.write_text(
        batch_text if batch_text is not None else "".join(json.dumps(case) + "\n" for case in cases)
    )
    return Cli()(
        *options, "git", "affected", "--repo", str(repo), "--tags", RELEASES, "--batch", str(batch)
    )


def answers(repo, cases, tmp_path):
    done = run_affected(repo, cases, "--json", tmp_path=tmp_path)
    assert done.code == 0, done.err
    return [json.loads(line) for line in done.out.splitlines()]


def ground_truth(released, introduced, fixed):
    """What `git tag --contains` says, once per commit, backports included."""
    history = released.history
    version = {}
    for tag in history.git("tag").split():
        if match := re.match(RELEASES, tag):
            version[tag] = ".".join(match.groups())
    reached = (
        set(version)
        if not introduced
        else set().union(*(history.tags_containing(c) for c in introduced))
    )
    carriers = set().union(*(released.carried_by[c] for c in fixed))
    fixed_tags = set().union(*(history.tags_containing(c) for c in carriers)) & set(version)
    first = {
        tag
        for tag in fixed_tags
        if not {
            t
            for t in history.tags_merged_into(tag) & fixed_tags
            if history.commit_of(t) != history.commit_of(tag)
        }
    }
    key = lambda v: tuple(int(p) for p in v.split("."))  # noqa: E731
    affected = sorted((version[t] for t in (reached & set(version)) - fixed_tags), key=key)
    return {
        "affected": affected,
        "first_affected": affected[0] if affected else None,
        "last_affected": affected[-1] if affected else None,
        "fixed_in": sorted((version[t] for t in first), key=key),
    }


def test_batch_agrees_with_git_tag_contains_for_every_case(released, tmp_path):
    cases = [
        {"id": "A", "introduced": [released["intro_a"]], "fixed": [released["fix_a"]]},
        {"id": "B", "introduced": [released["intro_b"]], "fixed": [released["fix_b"]]},
        {"id": "C", "introduced": [], "fixed": [released["fix_c"]]},
        {"id": "D", "introduced": [released["intro_a"]], "fixed": [released["nowhere"]]},
        {
            "id": "E",
            "introduced": [released["intro_a"], released["intro_b"]],
            "fixed": [released["fix_a"], released["fix_c"]],
        },
        {"id": "F", "introduced": [released["start"]], "fixed": []},
    ]
    got = answers(released.path, cases, tmp_path)
    assert [answer["id"] for answer in got] == [case["id"] for case in cases]
    for case, answer in zip(cases, got, strict=True):
        expected = ground_truth(released, case["introduced"], case["fixed"])
        assert answer == {"id": case["id"], **expected}, case["id"]


def test_cherry_picked_backport_counts_as_fix_on_its_branch(released, tmp_path):
    [answer] = answers(
        released.path,
        [{"id": "A", "introduced": [released["intro_a"]], "fixed": [released["fix_a"]]}],
        tmp_path,
    )
    assert answer["affected"] == ["1.1.0", "1.1.1"]
    assert answer["fixed_in"] == ["1.1.2", "1.2.0"]


def test_backport_with_the_same_patch_and_no_trailer_counts_as_fix(released, tmp_path):
    [answer] = answers(
        released.path,
        [{"id": "B", "introduced": [released["intro_b"]], "fixed": [released["fix_b"]]}],
        tmp_path,
    )
    assert "1.1.2" in answer["fixed_in"]
    assert "1.1.2" not in answer["affected"]


def test_bug_reached_through_a_merge_affects_the_release_after_it(released, tmp_path):
    [answer] = answers(
        released.path, [{"id": "A", "introduced": [released["intro_a"]], "fixed": []}], tmp_path
    )
    assert answer["first_affected"] == "1.1.0"
    assert "1.0.1" not in answer["affected"]


def test_fix_on_one_branch_only_leaves_the_other_branches_affected(released, tmp_path):
    [answer] = answers(
        released.path, [{"id": "C", "introduced": [], "fixed": [released["fix_c"]]}], tmp_path
    )
    assert answer["fixed_in"] == ["1.1.3"]
    assert {"1.2.0", "1.3.0", "1.0.1"} <= set(answer["affected"])


def test_fix_on_no_branch_ships_in_no_release(released, tmp_path):
    [answer] = answers(
        released.path,
        [{"id": "D", "introduced": [released["intro_a"]], "fixed": [released["nowhere"]]}],
        tmp_path,
    )
    assert answer["fixed_in"] == []
    assert answer["last_affected"] == "1.3.0"


def test_abbreviated_commit_ids_give_the_same_answer(released, tmp_path):
    full = {"id": "A", "introduced": [released["intro_a"]], "fixed": [released["fix_a"]]}
    short = {"id": "A", "introduced": [released["intro_a"][:7]], "fixed": [released["fix_a"][:10]]}
    assert answers(released.path, [full], tmp_path) == answers(released.path, [short], tmp_path)


def test_unknown_commit_gives_that_line_an_error_and_the_others_still_run(released, tmp_path):
    got = answers(
        released.path,
        [
            {"id": "A", "introduced": [released["intro_a"]], "fixed": [released["fix_a"]]},
            {
                "id": "ghost",
                "introduced": ["0123456789abcdef0123456789abcdef01234567"],
                "fixed": [],
            },
            {"id": "C", "introduced": [], "fixed": [released["fix_c"]]},
        ],
        tmp_path,
    )
    assert [answer["id"] for answer in got] == ["A", "ghost", "C"]
    assert "0123456789abcdef" in got[1]["error"]
    assert "affected" not in got[1]
    assert got[0]["fixed_in"] == ["1.1.2", "1.2.0"]
    assert got[2]["fixed_in"] == ["1.1.3"]


def test_a_line_that_is_not_a_case_gets_an_error_in_its_place(released, tmp_path):
    good = json.dumps({"id": "C", "fixed": [released["fix_c"]]})
    done = run_affected(
        released.path, None, "--json", tmp_path=tmp_path, batch_text=f"not json\n\n{good}\n[1, 2]\n"
    )
    got = [json.loads(line) for line in done.out.splitlines()]
    assert done.code == 0
    assert [answer["id"] for answer in got] == [None, "C", None]
    assert got[0]["error"].startswith("line 1:")
    assert got[2]["error"].startswith("line 3:")


def test_tags_that_are_not_releases_are_ignored(released, tmp_path):
    [answer] = answers(released.path, [{"id": "F", "introduced": [released["start"]]}], tmp_path)
    assert "nightly" not in json.dumps(answer)
    assert len(answer["affected"]) == 8


def test_a_work_tree_gets_a_commit_graph(released, tmp_path):
    answers(released.path, [], tmp_path)
    info = released.path / ".git" / "objects" / "info"
    assert (info / "commit-graph").exists() or (info / "commit-graphs").is_dir()


def test_without_json_the_answer_is_a_readable_table(released, tmp_path):
    done = run_affected(
        released.path,
        [
            {"id": "A", "introduced": [released["intro_a"]], "fixed": [released["fix_a"]]},
            {"id": "[ghost]", "introduced": ["abcdef12"], "fixed": []},
        ],
        tmp_path=tmp_path,
    )
    assert done.code == 0, done.err
    assert "1.1.0 1.1.1" in done.out
    assert "1.1.2 1.2.0" in done.out
    assert "[ghost]" in done.out
    assert "error: commit abcdef12" in done.out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tags": "^v(\\d+"}, "is not a regular expression"),
        ({"tags": "^v.*$"}, "has no group"),
        ({"batch": "/nonexistent/batch.jsonl"}, "No such file"),
        ({"repo": "/nonexistent/repo"}, "no such directory"),
        ({"repo": "/"}, "not a git repository"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(released, tmp_path, change, message):
    batch = tmp_path / "batch.jsonl"
    batch.write_text("")
    arguments = {"repo": str(released.path), "tags": RELEASES, "batch": str(batch), **change}
    done = Cli()("git", "affected", *(f"--{k}={v}" for k, v in arguments.items()))
    assert done.code == 2
    assert done.out == ""
    assert len(done.err.strip().splitlines()) == 1
    assert message in done.err
