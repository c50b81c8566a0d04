"""Configuring repositories and recording a case's commits: permission, one
audit record per action, and refusals in one line."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from secdesk.audit.models import AuditEvent, AuditRecord
from secdesk.errors import BadInput, NotAllowed, NotFound, Refused
from secdesk.fixes import mirror
from secdesk.fixes.actions import (
    do_add_maintained_branch,
    do_add_repository,
    do_fetch_repositories,
    do_mark_branch_not_affected,
    do_record_fix,
    do_record_introducing_commit,
    do_remove_maintained_branch,
)
from secdesk.fixes.case_releases import case_releases
from secdesk.fixes.models import Repository


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    # The worker's memory of failed fetches lives as long as its process:
    # each test starts as a new worker would.
    mirror._failed_at.clear()
    return settings.DATA_DIR


@pytest.fixture
def libvirt(project, released, alice):
    repository = do_add_repository(project, name="libvirt", url=str(released.path), acting=alice)
    for pattern in ("master", "v1.*-maint"):
        do_add_maintained_branch(repository, pattern=pattern, acting=alice)
    return repository


def events(kind):
    return list(AuditRecord.objects.filter(event=kind))


def test_an_admin_adds_a_repository_with_one_audit_record(project, alice, released):
    repository = do_add_repository(
        project,
        name="libvirt",
        url=str(released.path),
        release_tags=r"^v(\d+)\.(\d+)$",
        acting=alice,
    )
    assert repository.release_tags == r"^v(\d+)\.(\d+)$"
    [entry] = events(AuditEvent.REPOSITORY_ADDED)
    assert entry.actor == alice
    assert entry.details["repository"] == "libvirt"


def test_a_member_may_not_configure_repositories(project, bob, alice, libvirt):
    with pytest.raises(NotAllowed, match="admin"):
        do_add_repository(project, name="other", url="/srv/other.git", acting=bob)
    with pytest.raises(NotAllowed, match="admin"):
        do_add_maintained_branch(libvirt, pattern="v2.*-maint", acting=bob)
    assert not Repository.objects.filter(name="other").exists()


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"release_tags": "^v(\\d+"}, "not a regular expression"),
        ({"release_tags": "^v.*$"}, "has no group"),
        ({"name": "Lib Virt"}, "lowercase"),
        ({"url": "--upload-pack=evil"}, "a path or a URL"),
    ],
)
def test_bad_repository_settings_are_refused_in_one_line(project, alice, change, refusal):
    arguments = {"name": "libvirt", "url": "/srv/libvirt.git", **change}
    with pytest.raises(BadInput, match=refusal):
        do_add_repository(project, acting=alice, **arguments)


def test_a_repository_name_is_used_once_per_project(project, alice, libvirt):
    with pytest.raises(Refused, match="already has a repository 'libvirt'"):
        do_add_repository(project, name="libvirt", url="/elsewhere", acting=alice)


def test_maintained_branches_are_added_and_removed_with_an_audit_record_each(libvirt, alice):
    assert len(events(AuditEvent.MAINTAINED_BRANCH_ADDED)) == 2
    do_remove_maintained_branch(libvirt, pattern="master", acting=alice)
    assert list(libvirt.branches.values_list("pattern", flat=True)) == ["v1.*-maint"]
    [entry] = events(AuditEvent.MAINTAINED_BRANCH_REMOVED)
    assert entry.details == {"repository": "libvirt", "pattern": "master"}


def test_removing_a_branch_that_is_not_maintained_names_those_that_are(libvirt, alice):
    with pytest.raises(NotFound, match=r"'stable' is not .* \(maintained: master, v1\.\*-maint\)"):
        do_remove_maintained_branch(libvirt, pattern="stable", acting=alice)


@pytest.mark.parametrize("pattern", ["", "has space", "-x", "a..b"])
def test_a_branch_pattern_git_would_not_accept_is_refused(libvirt, alice, pattern):
    with pytest.raises(BadInput, match="branch pattern"):
        do_add_maintained_branch(libvirt, pattern=pattern, acting=alice)


def test_fetching_clones_each_mirror_and_records_one_audit_entry(project, libvirt, bob, data_dir):
    seen = []
    [result] = do_fetch_repositories(
        project, acting=bob, progress=lambda repository, done, total: seen.append(done)
    )
    assert result["fetched"] and result["error"] is None
    assert (data_dir / "git" / "libvirt" / "libvirt.git" / "HEAD").exists()
    assert seen == [0]
    libvirt.refresh_from_db()
    assert libvirt.fetched_at is not None
    [entry] = events(AuditEvent.REPOSITORIES_FETCHED)
    assert entry.details == {"fetched": ["libvirt"], "failed": []}


def test_one_unreachable_repository_does_not_stop_the_others(project, libvirt, alice, tmp_path):
    do_add_repository(project, name="gone", url=str(tmp_path / "nothing-here"), acting=alice)
    results = do_fetch_repositories(project, acting=alice)
    assert [(r["repository"], r["fetched"]) for r in results] == [
        ("gone", False),
        ("libvirt", True),
    ]
    assert "git clone failed" in results[0]["error"]
    [entry] = events(AuditEvent.REPOSITORIES_FETCHED)
    assert entry.details == {"fetched": ["libvirt"], "failed": ["gone"]}


def test_fetching_one_repository_by_name(project, libvirt, alice):
    with pytest.raises(NotFound, match="no repository 'nope'"):
        do_fetch_repositories(project, name="nope", acting=alice)
    assert [r["repository"] for r in do_fetch_repositories(project, name="libvirt", acting=alice)]


def test_introducing_commit_is_resolved_in_the_mirror_and_stored_in_full(
    new_case, libvirt, released, bob
):
    case = new_case()
    introducing = do_record_introducing_commit(case, commit=released["intro_a"][:9], acting=bob)
    assert introducing.commit == released["intro_a"]
    assert introducing.repository == libvirt
    [entry] = events(AuditEvent.INTRODUCING_COMMIT_RECORDED)
    assert entry.case_id == case.pk
    assert entry.details == {"commit": released["intro_a"], "repository": "libvirt"}
    with pytest.raises(Refused, match="already recorded"):
        do_record_introducing_commit(case, commit=released["intro_a"], acting=bob)


def test_an_unknown_introducing_commit_is_refused(new_case, libvirt, bob):
    with pytest.raises(NotFound, match="commit 0123456789ab is not in libvirt/libvirt"):
        do_record_introducing_commit(new_case(), commit="0123456789ab", acting=bob)
    assert not events(AuditEvent.INTRODUCING_COMMIT_RECORDED)


def test_a_project_with_several_repositories_needs_the_repository_named(
    project, new_case, libvirt, alice, bob, released
):
    do_add_repository(project, name="docs", url=str(released.path), acting=alice)
    with pytest.raises(BadInput, match="several repositories"):
        do_record_introducing_commit(new_case(), commit=released["intro_a"], acting=bob)
    recorded = do_record_introducing_commit(
        new_case(), commit=released["intro_a"], repository="docs", acting=bob
    )
    assert recorded.repository.name == "docs"


def test_a_maintained_branch_is_marked_not_affected_with_its_reason(new_case, libvirt, bob):
    case = new_case()
    marked = do_mark_branch_not_affected(
        case, branch="v1.0-maint", reason="the parser came in 1.1", acting=bob
    )
    assert marked.recorded_by == bob
    [entry] = events(AuditEvent.BRANCH_NOT_AFFECTED)
    assert entry.details == {"branch": "v1.0-maint", "reason": "the parser came in 1.1"}
    with pytest.raises(Refused, match="already marked"):
        do_mark_branch_not_affected(case, branch="v1.0-maint", reason="again", acting=bob)


def test_not_affected_needs_a_maintained_branch_and_a_reason(new_case, libvirt, bob):
    case = new_case()
    with pytest.raises(NotFound, match=r"'feature-x' is not a maintained branch .*master"):
        do_mark_branch_not_affected(case, branch="feature-x", reason="never merged", acting=bob)
    with pytest.raises(BadInput, match="say why"):
        do_mark_branch_not_affected(case, branch="master", reason="  ", acting=bob)
    assert not events(AuditEvent.BRANCH_NOT_AFFECTED)


def test_someone_outside_the_team_may_record_nothing(new_case, libvirt, charlie, released):
    with pytest.raises(NotAllowed):
        do_record_introducing_commit(new_case(), commit=released["intro_a"], acting=charlie)
    with pytest.raises(NotAllowed):
        do_mark_branch_not_affected(new_case(), branch="master", reason="r", acting=charlie)


def test_case_releases_come_from_the_mirror(new_case, libvirt, released, bob):
    case = new_case()
    do_record_introducing_commit(case, commit=released["intro_a"], acting=bob)
    do_record_fix(case, branch="master", commit=released["fix_a"], acting=bob)
    [answer] = case_releases(case)
    assert answer.repository == libvirt
    assert answer.outcome.affected == ["1.1.0", "1.1.1"]
    assert answer.outcome.fixed_in == ["1.1.2", "1.2.0"]


def test_case_releases_name_a_recorded_commit_the_mirror_lacks(new_case, libvirt, bob):
    case = new_case()
    do_record_fix(case, branch="master", commit="0123456789abcdef", acting=bob)
    [answer] = case_releases(case)
    assert "0123456789abcdef is not in the repository" in answer.outcome.error


# ------------------------------------------------------------ the worker


def test_the_worker_fetches_stale_mirrors_only(project, libvirt, alice, released, settings):
    settings.MIRROR_FETCH_MINUTES = 15
    assert mirror.fetch_stale() == ["libvirt/libvirt"]
    assert mirror.fetch_stale() == []
    Repository.objects.filter(pk=libvirt.pk).update(
        fetched_at=timezone.now() - timedelta(minutes=16)
    )
    pushed = released.history.commit("Later work", {"later.c": "1\n"})
    assert mirror.fetch_stale() == ["libvirt/libvirt"]
    assert mirror.opened(libvirt).resolve([pushed])[pushed] == pushed


def test_an_unreachable_repository_is_logged_by_name_and_the_others_still_fetched(
    project, libvirt, alice, tmp_path, caplog
):
    do_add_repository(project, name="gone", url=str(tmp_path / "nothing-here"), acting=alice)
    with caplog.at_level(logging.WARNING, logger="secdesk.fixes.mirror"):
        assert mirror.fetch_stale() == ["libvirt/libvirt"]
    [message] = [r.getMessage() for r in caplog.records]
    assert message == "mirror fetch failed for libvirt/gone (GitFailed)"
    # Not tried again on the next tick, only once the interval has passed.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="secdesk.fixes.mirror"):
        assert mirror.fetch_stale() == []
    assert caplog.records == []
