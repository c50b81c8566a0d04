"""The leak guard a public repository runs on every push."""

from datetime import UTC, datetime

import pytest
from django.db import transaction

from secdesk.advisories.leakcheck import find_leaks
from secdesk.advisories.models import CveId, CveState
from secdesk.cases.capabilities import reply_token
from secdesk.cases.models import Case, Embargo, EmbargoState, ReportState
from secdesk.cli.main import main
from secdesk.fixes.git import Git
from secdesk.fixes.models import Fix, Repository
from secdesk.fixes.tests.history import History
from secdesk.teams.models import Person, Project

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
FIX = "int parse(const char *s)\n{\n    return s[0] ? s[0] + s[1] : 0;\n}\n"


@pytest.fixture
def public(tmp_path) -> History:
    history = History.create(tmp_path / "public")
    history.commit("Start", {"parser.c": "int parse(const char *s)\n{\n    return 0;\n}\n"})
    history.tag("base")
    return history


@pytest.fixture
def embargoed(db):
    project = Project.objects.create(slug="libfoo", name="libfoo", security_address="s@foo.example")
    case = Case.objects.create(
        project=project,
        number=1,
        title="Parser overflow",
        state=ReportState.ACCEPTED,
        received_at=NOW,
    )
    Embargo.objects.create(case=case, state=EmbargoState.ACTIVE, end_at=NOW)
    CveId.objects.create(
        project=project, cve_id="CVE-2026-1001", state=CveState.ASSIGNED, case=case
    )
    return case


def end_embargo(case):
    Embargo.objects.filter(case=case).update(state=EmbargoState.EXITED, exited_at=NOW)


def test_commit_that_mentions_an_embargoed_cve_is_a_leak(public, embargoed):
    leaky = public.commit("parser: check length (cve-2026-1001)", {"parser.c": FIX})
    [leak] = find_leaks(Git(public.path), ["base..master"]).leaks
    assert leak.commit == leaky
    assert leak.mentions == "CVE-2026-1001, which is under embargo"


def test_the_same_range_passes_once_the_embargo_has_ended(public, embargoed):
    public.commit("parser: check length (CVE-2026-1001)", {"parser.c": FIX})
    end_embargo(embargoed)
    assert find_leaks(Git(public.path), ["base..master"]).leaks == []


@pytest.mark.parametrize("state", [EmbargoState.PROPOSED, EmbargoState.REVISE])
def test_a_proposed_or_revised_embargo_binds_too(public, embargoed, state):
    Embargo.objects.filter(case=embargoed).update(state=state)
    public.commit("Fix CVE-2026-1001", {"parser.c": FIX})
    assert len(find_leaks(Git(public.path), ["base..master"]).leaks) == 1


def test_a_longer_cve_id_with_the_same_prefix_is_no_leak(public, embargoed):
    public.commit("Fix CVE-2026-10012", {"parser.c": FIX})
    assert find_leaks(Git(public.path), ["base..master"]).leaks == []


def test_commit_that_mentions_a_reply_address_of_the_case_is_a_leak(public, embargoed):
    finder = Person.objects.create(email="finder@research.example")
    with transaction.atomic():
        token = reply_token(embargoed, finder)
    public.commit(f"Fix the parser\n\nReported-via: security+{token}@foo.example")
    [leak] = find_leaks(Git(public.path), ["base..master"]).leaks
    assert leak.mentions == "the private token of an embargoed case"


def test_commit_with_the_patch_of_an_embargoed_fix_is_a_leak(public, embargoed, tmp_path, settings):
    # The fix lives in the private repository's mirror; the public push holds
    # the same patch under an innocent message.
    settings.DATA_DIR = tmp_path / "data"
    mirror_path = settings.DATA_DIR / "git" / "libfoo" / "private.git"
    private = public.copy(tmp_path / "private")
    fix = private.commit("parser: check the length (CVE-2026-1001)", {"parser.c": FIX})
    private.git("clone", "--quiet", "--mirror", str(private.path), str(mirror_path))
    repository = Repository.objects.create(
        project=embargoed.project, name="private", url=str(private.path)
    )
    Fix.objects.create(
        case=embargoed,
        repository=repository,
        branch="master",
        commit=fix,
        recorded_by=Person.objects.create(email="alice@example.org"),
        recorded_at=NOW,
    )
    innocent = public.commit("parser: tidy up", {"parser.c": FIX})
    [leak] = find_leaks(Git(public.path), ["base..master"]).leaks
    assert leak.commit == innocent
    assert leak.mentions == "the patch of an embargoed fix"


def test_a_range_without_mentions_passes(public, embargoed):
    public.commit("Add a logo", {"logo.txt": "*\n"})
    assert find_leaks(Git(public.path), ["base..master"]).leaks == []


def leak_check(capsys, *arguments):
    with pytest.raises(SystemExit) as exit:
        main(["git", "leak-check", *arguments])
    return exit.value.code, capsys.readouterr()


def test_cli_exits_1_naming_the_commit_and_0_once_the_embargo_ended(public, embargoed, capsys):
    leaky = public.commit("parser: check length (CVE-2026-1001)", {"parser.c": FIX})
    code, out = leak_check(capsys, "--repo", str(public.path), "--range", "base..master")
    assert code == 1
    assert leaky[:12] in out.out
    assert "CVE-2026-1001" in out.out
    end_embargo(embargoed)
    code, out = leak_check(capsys, "--repo", str(public.path), "--range", "base..master")
    assert code == 0


def test_cli_checks_a_new_branch_against_all_existing_refs(public, embargoed, capsys):
    public.checkout("topic", new_at="master")
    leaky = public.commit("Fix CVE-2026-1001", {"parser.c": FIX})
    public.checkout("master")
    code, out = leak_check(capsys, "--repo", str(public.path), "--range", f"{leaky} --not master")
    assert code == 1
    assert leaky[:12] in out.out


@pytest.mark.parametrize(
    ("revs", "message"),
    [("master --output=/tmp/x", "is not a revision"), ("nosuch..master", "git rev-list failed")],
)
def test_cli_refuses_a_bad_range_in_one_line(public, embargoed, capsys, revs, message):
    code, out = leak_check(capsys, "--repo", str(public.path), "--range", revs)
    assert code == 2
    assert message in out.err
    assert len(out.err.strip().splitlines()) == 1


@pytest.fixture
def fix_nobody_holds(embargoed, tmp_path, settings):
    """An embargoed fix recorded in a repository that secdesk has not mirrored
    (yet), and that the public repository does not hold either."""
    settings.DATA_DIR = tmp_path / "data"
    repository = Repository.objects.create(
        project=embargoed.project, name="private", url=str(tmp_path / "private")
    )
    Fix.objects.create(
        case=embargoed,
        repository=repository,
        branch="master",
        commit="0123456789abcdef0123456789abcdef01234567",
        recorded_by=Person.objects.create(email="alice@example.org"),
        recorded_at=NOW,
    )


def test_a_fix_that_cannot_be_compared_is_reported_not_skipped(public, fix_nobody_holds):
    public.commit("parser: tidy up", {"parser.c": FIX})
    check = find_leaks(Git(public.path), ["base..master"])
    assert check.leaks == []
    [unchecked] = check.unchecked
    assert unchecked.commit.startswith("0123456789ab")
    assert "libfoo/private" in str(unchecked)


def test_cli_fails_closed_when_a_fix_cannot_be_compared(public, fix_nobody_holds, capsys):
    public.commit("parser: tidy up", {"parser.c": FIX})
    code, out = leak_check(capsys, "--repo", str(public.path), "--range", "base..master")
    assert code == 1
    assert "warning: cannot check for the patch of embargoed fix 0123456789ab" in out.err
    assert "could not be checked" in out.out


def test_cli_passes_with_a_warning_when_told_to_allow_unchecked(public, fix_nobody_holds, capsys):
    public.commit("parser: tidy up", {"parser.c": FIX})
    code, out = leak_check(
        capsys, "--repo", str(public.path), "--range", "base..master", "--allow-unchecked"
    )
    assert code == 0
    assert "warning: cannot check" in out.err


def test_an_ended_embargo_leaves_nothing_to_check(public, embargoed, fix_nobody_holds, capsys):
    end_embargo(embargoed)
    code, out = leak_check(capsys, "--repo", str(public.path), "--range", "base..master")
    assert code == 0
    assert out.err == ""
