"""What counts as the same fix on another branch."""

from secdesk.fixes.backports import backports_among, patch_ids
from secdesk.fixes.git import Git
from secdesk.fixes.tests.history import History


def backports_of(git, fixes, revs):
    return backports_among(git, fixes, git.run("rev-list", *revs).split())


def test_cherry_pick_with_trailer_and_identical_patch_are_both_found(released):
    found = backports_of(Git(released.path), {released["fix_a"], released["fix_b"]}, ["--all"])
    assert found == {
        released["backport_a"]: {released["fix_a"]},
        released["backport_b"]: {released["fix_b"]},
    }


def test_identical_patch_has_the_same_patch_id(released):
    ids = patch_ids(Git(released.path), [released["fix_b"], released["backport_b"]])
    assert ids[released["fix_b"]] == ids[released["backport_b"]]


def test_trailer_naming_a_fix_counts_even_when_the_patch_was_adapted(tmp_path):
    h = History.create(tmp_path / "repo")
    h.commit("Start", {"a.c": "one\n"})
    h.checkout("stable", new_at="master")
    h.checkout("master")
    fix = h.commit("Fix (CVE-2026-0001)", {"a.c": "one\nchecked\n"})
    h.checkout("stable")
    adapted = h.commit(
        f"Fix (CVE-2026-0001)\n\n(cherry picked from commit {fix[:10]})",
        {"a.c": "one\nchecked for stable\n"},
    )
    assert backports_of(Git(h.path), {fix}, ["stable"]) == {adapted: {fix}}


def test_cherry_pick_of_a_cherry_pick_counts(tmp_path):
    h = History.create(tmp_path / "repo")
    h.commit("Start", {"a.c": "one\n"})
    h.checkout("v2", new_at="master")
    h.checkout("v1", new_at="master")
    h.checkout("master")
    fix = h.commit("Fix", {"a.c": "one\nchecked\n", "b.c": "new\n"})
    h.checkout("v2")
    on_v2 = h.cherry_pick(fix)
    h.checkout("v1")
    # Adapted again on v1, so only the trailers link it to the fix.
    h.git("cherry-pick", "-x", "--no-commit", on_v2)
    (h.path / "b.c").write_text("new, for v1\n")
    h.git("add", "b.c")
    h.git("commit", "--quiet", "--no-edit")
    on_v1 = h.head()
    assert backports_of(Git(h.path), {fix}, ["v1", "v2"]) == {on_v2: {fix}, on_v1: {fix}}


def test_a_merge_and_an_unrelated_commit_are_no_backport(released):
    found = backports_of(Git(released.path), {released["fix_a"]}, ["--all"])
    assert released["merge"] not in found
    assert released["readme"] not in found


def test_a_fix_made_on_a_stable_branch_first_counts_once_it_is_recorded(tmp_path):
    """The known limit (docs/git.md): a stable commit with the fix's patch that
    is an ancestor of the recorded fix (merged with -s ours, then picked without
    -x) is not searched for; recording it as a fix of the case is the answer."""
    from secdesk.fixes.affected import CaseCommits, affected_releases
    from secdesk.fixes.releases import ReleaseScheme

    h = History.create(tmp_path / "repo")
    h.commit("Start", {"a.c": "one\n"})
    h.tag("v1.0.0")
    h.checkout("v1-maint", new_at="master")
    stable = h.commit("Check the length (CVE-2026-0001)", {"a.c": "one\nchecked\n"})
    h.tag("v1.0.1")
    h.checkout("master")
    h.git("merge", "--quiet", "-s", "ours", "-m", "Merge v1-maint (fixes picked apart)", "v1-maint")
    h.git("cherry-pick", stable)
    fix = h.head()
    h.tag("v1.1.0")
    scheme = ReleaseScheme(r"^v(\d+)\.(\d+)\.(\d+)$")
    [both] = affected_releases(Git(h.path), scheme, [CaseCommits("c", [], [fix, stable])])
    assert both.affected == ["1.0.0"]
    # 1.1.0 has 1.0.1 in its history (the merge): 1.0.1 is the first to ship it.
    assert both.fixed_in == ["1.0.1"]
