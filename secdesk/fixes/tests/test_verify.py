"""Verifying a case's fixes against git before its advisory goes out."""

from datetime import UTC, datetime

import pytest

from secdesk.advisories.models import CveId, CveState
from secdesk.advisories.verify import verify_case
from secdesk.cases.models import Case, ReportState
from secdesk.fixes import mirror
from secdesk.fixes.models import Branch, Fix, NotAffected, Repository
from secdesk.teams.models import Person, Project

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.fixture
def alice(db):
    return Person.objects.create(email="alice@example.org", name="Alice Admin")


@pytest.fixture
def project(db):
    return Project.objects.create(slug="libfoo", name="libfoo", security_address="s@foo.example")


@pytest.fixture
def repository(project, released, data_dir):
    repository = Repository.objects.create(project=project, name="libfoo", url=str(released.path))
    for pattern in ("master", "v1.*-maint"):
        Branch.objects.create(repository=repository, pattern=pattern)
    return repository


@pytest.fixture
def case(project):
    case = Case.objects.create(
        project=project,
        number=1,
        title="Parser overflow",
        state=ReportState.ACCEPTED,
        received_at=NOW,
    )
    CveId.objects.create(
        project=project, cve_id="CVE-2026-1001", state=CveState.ASSIGNED, case=case
    )
    return case


def record(case, repository, branch, commit, alice):
    Fix.objects.create(
        case=case,
        repository=repository,
        branch=branch,
        commit=commit,
        recorded_by=alice,
        recorded_at=NOW,
    )


def not_affected(case, branch, alice):
    NotAffected.objects.create(
        case=case,
        branch=branch,
        reason="the parser came later",
        recorded_by=alice,
        recorded_at=NOW,
    )


@pytest.fixture
def fully_fixed(case, repository, released, alice):
    record(case, repository, "master", released["fix_a"], alice)
    record(case, repository, "v1.1-maint", released["backport_a"], alice)
    not_affected(case, "v1.0-maint", alice)
    return case


def test_case_with_a_fix_or_not_affected_on_every_maintained_branch_passes(fully_fixed):
    assert verify_case(fully_fixed) == []


def test_maintained_branch_without_a_fix_is_a_problem_naming_the_branch(
    case, repository, released, alice
):
    record(case, repository, "master", released["fix_a"], alice)
    not_affected(case, "v1.0-maint", alice)
    [problem] = verify_case(case)
    assert problem.branch == "v1.1-maint"
    assert "no fix recorded" in str(problem)


def test_master_fix_recorded_for_a_stable_branch_counts_through_its_cherry_pick(
    case, repository, released, alice
):
    record(case, repository, "master", released["fix_a"], alice)
    record(case, repository, "v1.1-maint", released["fix_a"], alice)
    not_affected(case, "v1.0-maint", alice)
    assert verify_case(case) == []


def test_fix_that_is_not_on_its_branch_is_a_problem(fully_fixed, repository, released, alice):
    record(fully_fixed, repository, "v1.0-maint", released["fix_a"], alice)
    [problem] = verify_case(fully_fixed)
    assert problem.branch == "v1.0-maint"
    assert "is not on v1.0-maint" in problem.message


def test_fix_commit_that_does_not_mention_the_cve_is_a_problem(case, repository, released, alice):
    record(case, repository, "master", released["readme"], alice)
    record(case, repository, "v1.1-maint", released["backport_a"], alice)
    not_affected(case, "v1.0-maint", alice)
    [problem] = verify_case(case)
    assert problem.branch == "master"
    assert "does not mention CVE-2026-1001" in problem.message


def test_fix_commit_the_repository_lacks_is_a_problem(fully_fixed, repository, alice):
    record(fully_fixed, repository, "master", "0123456789abcdef", alice)
    [problem] = verify_case(fully_fixed)
    assert problem.branch == "master"
    assert "0123456789ab is not in libfoo/libfoo" in problem.message


def test_case_without_a_cve_id_cannot_be_verified(fully_fixed):
    fully_fixed.cve_ids.update(case=None, state=CveState.RESERVED)
    problems = verify_case(fully_fixed)
    assert {p.branch for p in problems} == {"master", "v1.1-maint"}
    assert all("no CVE id" in p.message for p in problems)


def test_maintained_branch_pattern_that_matches_no_branch_is_a_problem(fully_fixed, repository):
    Branch.objects.create(repository=repository, pattern="v9.*-maint")
    [problem] = verify_case(fully_fixed)
    assert problem.branch == "v9.*-maint"
    assert "no branch" in problem.message


def test_verifying_mirrors_the_repository_into_the_data_directory(
    fully_fixed, repository, data_dir
):
    verify_case(fully_fixed)
    path = data_dir / "git" / "libfoo" / "libfoo.git"
    assert mirror.path_of(repository) == path
    assert (path / "objects" / "info" / "commit-graphs").is_dir()
    repository.refresh_from_db()
    assert repository.fetched_at is not None


def test_a_fix_pushed_after_the_first_check_is_seen_on_the_next(case, repository, released, alice):
    record(case, repository, "master", released["fix_a"], alice)
    not_affected(case, "v1.1-maint", alice)
    verify_case(case)
    released.history.checkout("v1.0-maint")
    late = released.history.commit("Harden the parser (CVE-2026-1001)", {"parser.c": "safe\n"})
    record(case, repository, "v1.0-maint", late, alice)
    assert verify_case(case) == []
