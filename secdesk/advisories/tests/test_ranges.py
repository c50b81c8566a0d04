"""What we publish is true: every format, read by its own specification's
algorithm (see evaluators.py), calls exactly the releases affected that the
git walk finds affected — on a two-branch example with a cherry-picked fix,
and on histories made at random."""

import random
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secdesk.advisories.facts import gather, walk
from secdesk.advisories.formats import csaf, cve_record, osv
from secdesk.advisories.package_identity import do_set_package_identity
from secdesk.advisories.ranges import version_type
from secdesk.advisories.tests import evaluators
from secdesk.advisories.validation import csaf_problems, cve_problems, osv_problems
from secdesk.fixes import mirror
from secdesk.fixes.actions import do_record_fix, do_record_introducing_commit
from secdesk.fixes.git import Git
from secdesk.fixes.models import Branch, Repository
from secdesk.fixes.releases import ReleaseScheme
from secdesk.fixes.tests.history import History, RandomHistory

PUBLIC = "https://git.example.org/demo.git"
AFFECTED = {"1.1.0", "1.1.1", "1.2.0"}
NOT_AFFECTED = {"1.0.0", "1.1.2", "1.3.0"}


@pytest.fixture
def two_branches(tmp_path):
    """1.1.x on stable-1.1, branched after 1.1.0; the bug came after 1.0.0; the
    fix is in 1.3.0 on master and, cherry-picked, in 1.1.2."""
    h = History.create(tmp_path / "demo")
    c = {"start": h.commit("Start", {"parse.c": "int x;\n"})}
    h.tag("v1.0.0")
    c["bug"] = h.commit("Parse faster", {"parse.c": "int x = read();\n"})
    h.tag("v1.1.0")
    h.checkout("stable-1.1", new_at="v1.1.0")
    h.commit("Translate", {"po.txt": "fr\n"})
    h.tag("v1.1.1")
    h.checkout("master")
    h.commit("More", {"more.c": "int y;\n"})
    h.tag("v1.2.0")
    c["fix"] = h.commit("parse: check the length", {"parse.c": "int x = checked();\n"})
    h.tag("v1.3.0")
    h.checkout("stable-1.1")
    c["backport"] = h.cherry_pick(c["fix"])
    h.tag("v1.1.2")
    h.checkout("master")
    return h, c


@pytest.fixture
def two_branch_case(project, alice, new_case, two_branches):
    history, c = two_branches
    repository = Repository.objects.create(project=project, name="demo", url=str(history.path))
    for pattern in ("master", "stable-*"):
        Branch.objects.create(repository=repository, pattern=pattern)
    mirror.update(repository)
    do_set_package_identity(
        project,
        {"ecosystem": "PyPI", "package_name": "demo", "repository_url": PUBLIC},
        acting=alice,
    )
    case = new_case()
    do_record_introducing_commit(case, commit=c["bug"], acting=alice)
    # Only the master fix is recorded: the walk finds its cherry-pick.
    do_record_fix(case, branch="master", commit=c["fix"], acting=alice)
    return case


def _commits_of(path, versions: dict[str, str]) -> dict[str, str]:
    return {
        version: subprocess.run(
            ["git", "rev-parse", f"{tag}^{{commit}}"],
            cwd=path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for tag, version in versions.items()
    }


def _read_by_every_format(facts: dict, repo, commit_of: dict[str, str]) -> dict[str, set]:
    """format → the releases it calls affected, as its own spec reads it."""
    [package] = facts["packages"]
    releases = set(commit_of)
    record = cve_record.render(facts, org_id="b3476cb9-2e1d-4d4b-8b8e-6f2c1a9e0c11")
    advisory = osv.render(facts, modified="2026-03-02T10:00:00Z")
    document = csaf.render(facts, current="2026-03-02T10:00:00Z")
    [product] = record["affected"]
    [entry] = advisory["affected"]
    key = evaluators.order_of(version_type(package))
    read = {
        "cve": evaluators.cve_affected(product, releases),
        "osv git": evaluators.osv_git_affected(entry, repo, commit_of),
        "osv versions": set(entry["versions"]),
        "csaf": evaluators.csaf_affected(document),
    }
    if package["ecosystem"]:
        read["osv ranges"] = evaluators.osv_version_affected(entry, releases, key)
    assert set(evaluators.csaf_statuses(document)) == releases
    return read


def test_two_branch_example_reads_the_same_in_every_format(two_branch_case, two_branches):
    history, _ = two_branches
    facts = gather(two_branch_case)
    releases = AFFECTED | NOT_AFFECTED
    commit_of = _commits_of(history.path, {f"v{v}": v for v in releases})
    for name, affected in _read_by_every_format(facts, history.path, commit_of).items():
        assert affected == AFFECTED, name
        assert releases - affected == NOT_AFFECTED, name


def test_two_branch_example_documents_validate_and_say_it_plainly(two_branch_case, two_branches):
    _, c = two_branches
    facts = gather(two_branch_case)
    record = cve_record.render(facts, org_id="b3476cb9-2e1d-4d4b-8b8e-6f2c1a9e0c11")
    advisory = osv.render(facts, modified="2026-03-02T10:00:00Z")
    document = csaf.render(facts, current="2026-03-02T10:00:00Z")
    assert cve_problems(record) == []
    assert osv_problems(advisory) == []
    assert csaf_problems(document) == []
    [product] = record["affected"]
    assert product["defaultStatus"] == "unaffected"
    assert product["versions"] == [
        {"version": "1.1.0", "status": "affected", "versionType": "semver", "lessThan": "1.1.2"},
        {"version": "1.2.0", "status": "affected", "versionType": "semver", "lessThan": "1.3.0"},
    ]
    [entry] = advisory["affected"]
    assert entry["package"] == {"ecosystem": "PyPI", "name": "demo"}
    git = next(r for r in entry["ranges"] if r["type"] == "GIT")
    assert git["repo"] == PUBLIC
    assert git["events"] == [
        {"introduced": c["bug"]},
        *({"fixed": commit} for commit in sorted([c["fix"], c["backport"]])),
    ]
    remedies = {
        r["details"]: r["product_ids"] for r in document["vulnerabilities"][0]["remediations"]
    }
    names = {
        b["product"]["product_id"]: b["name"]
        for b in document["product_tree"]["branches"][0]["branches"][0]["branches"]
    }
    assert {d: sorted(names[p] for p in ids) for d, ids in remedies.items()} == {
        "master: update to libvirt 1.3.0.": ["1.1.0", "1.2.0"],
        "stable-1.1: update to libvirt 1.1.2.": ["1.1.0", "1.1.1"],
    }


# The random histories of the walk's own test, with reverts, as cases the
# team records: an introducing commit or none, some of the backports or none.
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(60, 200), ecosystem=st.booleans())
def test_every_format_reads_as_the_git_walk_on_random_histories(
    tmp_path_factory, seed, steps, ecosystem
):
    rnd = random.Random(seed)
    path = tmp_path_factory.mktemp("random") / "random.git"
    history = RandomHistory(rnd, path, reverts=True)
    for _ in range(steps):
        history.step()
    sha = history.finish()
    if not history.fixes:
        return
    git = Git(path)
    scheme = ReleaseScheme(r"^v(\d+)\.(\d+)$")
    case = rnd.choice(sorted(history.fixes))
    fix = history.fixes[case]
    earlier = [m for m in history.ordinary if m < fix]
    introduced = [sha[rnd.choice(earlier)]] if earlier and rnd.random() < 0.8 else []
    named = [sha[m] for m in history.carried_by[case] if m == fix or rnd.random() < 0.4]
    heads = git.run("for-each-ref", "--format=%(refname:lstrip=2)", "refs/heads/").split()
    known = walk(git, scheme, introduced, named, heads)
    tags = git.run("tag").split()
    commit_of = _commits_of(path, {t: scheme.version(t) for t in tags})
    truth = set(known["affected"])

    facts = _facts(known, ecosystem)
    for name, affected in _read_by_every_format(facts, path, commit_of).items():
        assert affected == truth, name
    assert (
        cve_problems(cve_record.render(facts, org_id="b3476cb9-2e1d-4d4b-8b8e-6f2c1a9e0c11")) == []
    )
    assert osv_problems(osv.render(facts, modified="2026-03-02T10:00:00Z")) == []
    assert csaf_problems(csaf.render(facts, current="2026-03-02T10:00:00Z")) == []


def _facts(known: dict, ecosystem: bool) -> dict:
    """The facts gather() would give for a project with this one repository."""
    package = {
        "vendor": "Demo",
        "product": "Demo",
        "repository": "demo",
        "repo_url": PUBLIC,
        "ecosystem": "PyPI" if ecosystem else "",
        "package_name": "demo" if ecosystem else "",
        "purl": "",
        "cpe": "",
        "version_type": "",
        **known,
    }
    return {
        "id": "DEMO-SA-2026-0001",
        "project": {"slug": "demo", "name": "Demo"},
        "title": "A bug",
        "description": "A bug.",
        "impact": "",
        "cwes": [],
        "cves": ["CVE-2026-1001"],
        "cvss3": None,
        "cvss4": None,
        "severity": "unknown",
        "credits": [],
        "references": [],
        "zero_day": False,
        "published": "2026-03-02T10:00:00Z",
        "disclosed": "2026-03-02T10:00:00Z",
        "updated": "2026-03-02T10:00:00Z",
        "revisions": [{"number": 1, "date": "2026-03-02T10:00:00Z", "summary": "Initial version."}],
        "url": "https://security.example.org/advisories/DEMO-SA-2026-0001/",
        "timeline": [{"at": "2026-03-02T10:00:00Z", "text": "Advisory published"}],
        "branches": [],
        "packages": [package],
    }


@pytest.mark.parametrize(
    "declared, releases, expected",
    [
        ("", ["1.0.0", "1.1.0"], "semver"),
        ("custom", ["1.0.0", "1.1.0"], "custom"),
        ("", ["7.88", "8.0.1"], "custom"),
        ("semver", ["7.88", "8.0.1"], "custom"),
    ],
)
def test_versions_are_called_semver_only_when_every_release_is(declared, releases, expected):
    assert version_type({"version_type": declared, "releases": releases}) == expected


def test_a_fix_only_in_releases_of_unmaintained_branches_still_gets_its_remedy():
    known = {
        "releases": ["1.0.0", "2.0.0"],
        "affected": [],
        "fixed": ["2.0.0"],
        "introduced": [],
        "fix_commits": [],
        "branches": [{"branch": "master", "releases": ["1.0.0"], "affected": [], "fixed_in": []}],
    }
    document = csaf.render(_facts(known, ecosystem=False), current="2026-03-02T10:00:00Z")
    assert csaf_problems(document) == []
    assert evaluators.csaf_statuses(document) == {"1.0.0": "known_not_affected", "2.0.0": "fixed"}


def test_a_backport_not_yet_released_is_a_fixed_event_of_the_git_range(tmp_path):
    h = History.create(tmp_path / "demo")
    h.commit("Start", {"parse.c": "int x;\n"})
    bug = h.commit("Parse faster", {"parse.c": "int x = read();\n"})
    h.tag("v1.0.0")
    h.checkout("stable-1.0", new_at="v1.0.0")
    h.checkout("master")
    fix = h.commit("parse: check the length", {"parse.c": "int x = checked();\n"})
    h.tag("v1.1.0")
    h.checkout("stable-1.0")
    backport = h.cherry_pick(fix)
    scheme = ReleaseScheme(r"^v(\d+)\.(\d+)\.(\d+)$")
    known = walk(Git(h.path), scheme, [bug], [fix], ["master", "stable-1.0"])
    assert known["fix_commits"] == sorted([fix, backport])
    [entry] = osv.render(_facts(known, ecosystem=False), modified="2026-03-02T10:00:00Z")[
        "affected"
    ]
    heads = {"1.0.0": h.commit_of("v1.0.0"), "stable-1.0 head": backport}
    assert evaluators.osv_git_affected(entry, h.path, heads) == {"1.0.0"}
