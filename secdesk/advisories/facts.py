"""What an advisory says, gathered once from the case, as plain JSON-ready data.

Every format (the announcement, the HTML page, CVE JSON, OSV, CSAF) is rendered
from these facts, so all of them tell the same story; a publication stores the
facts it rendered, so a page served later says what the announcement said.
"""

import fnmatch
from datetime import datetime

from django.conf import settings

from secdesk.advisories import credits, references
from secdesk.advisories.cwe import cwe_name, parse_cwes
from secdesk.advisories.models import Advisory, CveState
from secdesk.cases.models import Case, EmbargoEvent
from secdesk.cases.severity import severity_name
from secdesk.fixes import mirror
from secdesk.fixes.affected import CaseCommits, affected_releases, release_tags
from secdesk.fixes.backports import backports_among
from secdesk.fixes.git import Git, GitFailed
from secdesk.fixes.models import PackageIdentity
from secdesk.fixes.releases import ReleaseScheme, sorted_versions
from secdesk.lib.dates import stamp

# The timeline names embargo events as an announcement would.
EMBARGO_EVENT_TEXT = {
    EmbargoEvent.Kind.ACCEPTED: "Embargo agreed, until {end}",
    EmbargoEvent.Kind.RESTARTED: "Embargo clock restarted after a faulty fix, until {end}",
    EmbargoEvent.Kind.EXITED: "Embargo ended ({reason})",
}


def _iso(when: datetime | None) -> str | None:
    return stamp(when) if when else None


def public_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def gather(case, *, public_id: str | None = None, published_at: datetime | None = None) -> dict:
    """The advisory's facts. `public_id` and `published_at` are given at publication;
    a preview before it names the advisory as a draft."""
    case = Case.objects.select_related("project").get(pk=case.pk)
    project = case.project
    advisory = Advisory.objects.filter(case=case).first()
    published = published_at or case.published_at
    public_id = public_id or (advisory.public_id if advisory else None) or f"DRAFT-{case.pk}"
    cves = list(
        case.cve_ids.exclude(state=CveState.REJECTED)
        .order_by("cve_id")
        .values_list("cve_id", flat=True)
    )
    title = advisory.title if advisory and advisory.title else case.title
    cwes = parse_cwes(advisory.cwe) if advisory else []
    facts = {
        "id": public_id,
        "project": {"slug": project.slug, "name": project.name},
        "case": case.pk,
        "title": title,
        "description": advisory.description if advisory else "",
        "impact": advisory.impact if advisory else "",
        "cwes": [{"id": cwe, "name": cwe_name(cwe)} for cwe in cwes],
        "cves": cves,
        "cvss3": _score(case.cvss3_vector, case.cvss3_score),
        "cvss4": _score(case.cvss4_vector, case.cvss4_score),
        "severity": severity_name(case.cvss3_score or case.cvss4_score),
        "credits": credits.parse(advisory.credits) if advisory else [],
        "references": references.parse(advisory.references) if advisory else [],
        "zero_day": case.public_at_intake,
        "published": _iso(published),
        "disclosed": _iso(_disclosed(case, published)),
        # An amendment replaces both with its own (see revisions.py).
        "updated": _iso(published),
        "revisions": [{"number": 1, "date": _iso(published), "summary": "Initial version."}]
        if published
        else [],
        "url": public_url(f"/advisories/{public_id}/"),
        "timeline": _timeline(case, published),
    }
    facts["branches"], facts["packages"] = _branches(case)
    facts["affected"] = sorted_versions(v for b in facts["branches"] for v in b["affected"])
    facts["fixed_in"] = sorted_versions(v for b in facts["branches"] for v in b["fixed_in"])
    return facts


def _disclosed(case, published: datetime | None) -> datetime | None:
    """When the issue became public: for a zero-day, before its advisory."""
    if case.public_at and (published is None or case.public_at < published):
        return case.public_at
    return published


def _score(vector: str, score) -> dict | None:
    if not vector:
        return None
    return {"vector": vector, "score": float(score), "severity": severity_name(score)}


def _timeline(case, published: datetime | None) -> list[dict]:
    events = [{"at": case.received_at, "text": "Reported to the security team"}]
    if case.public_at_intake:
        events.append({"at": case.received_at, "text": "Already public when reported (zero-day)"})
    if case.triaged_at:
        events.append({"at": case.triaged_at, "text": "Triaged as a security issue"})
    embargo = getattr(case, "embargo", None)
    if embargo is not None:
        for event in embargo.events.all():
            text = EMBARGO_EVENT_TEXT.get(event.kind)
            if text:
                end = f"{event.end_at:%Y-%m-%d %H:%M} UTC" if event.end_at else ""
                events.append({"at": event.at, "text": text.format(end=end, reason=event.reason)})
    fix = case.fixes.order_by("recorded_at").first()
    if fix:
        events.append({"at": fix.recorded_at, "text": "First fix recorded"})
    if published:
        events.append({"at": published, "text": "Advisory published"})
    events.sort(key=lambda e: e["at"])
    return [{"at": _iso(e["at"]), "text": e["text"]} for e in events]


def _branches(case) -> tuple[list[dict], list[dict]]:
    """Per branch: its fix commits, and — from the project's git mirrors — the
    releases on that branch's line that are affected and the first that ship
    the fix. A branch with no mirror to read still lists its commits.

    And per package (a repository, or the project when it has none): what the
    advisory's ranges are made of (see ranges.py)."""
    project = case.project
    repositories = list(project.repositories.prefetch_related("branches").order_by("name"))
    fixes = list(case.fixes.select_related("repository").order_by("branch", "recorded_at"))
    introduced = list(case.introduced_by.select_related("repository"))
    not_affected = {n.branch: n.reason for n in case.not_affected.all()}
    identity = PackageIdentity.objects.filter(project=project).first() or PackageIdentity()
    sole = repositories[0] if len(repositories) == 1 else None
    rows, packages = [], []
    groups: dict = {}
    for fix in fixes:
        groups.setdefault(fix.repository or sole, []).append(fix)
    for repository in repositories:
        groups.setdefault(repository, [])
    if not groups:
        # Nothing recorded and nowhere to look: the advisory is about the project.
        groups[None] = []
    for repository, repo_fixes in groups.items():
        git = _mirror(repository)
        intro = [i.commit for i in introduced if (i.repository or sole) == repository]
        fixed = [f.commit for f in repo_fixes]
        names = sorted({f.branch for f in repo_fixes} | _maintained(git, repository))
        scheme = ReleaseScheme(repository.release_tags) if repository else None
        known = walk(git, scheme, intro, fixed, names) if git else None
        package = _package(project, identity, repository, len(repositories) <= 1)
        package["introduced"] = _full(git, intro)
        package["fix_commits"] = _full(git, fixed)
        if known:
            package.update(_cleared(known, not_affected))
        on_branch = {b["branch"]: b for b in package["branches"]}
        for branch in names:
            commits = [f.commit for f in repo_fixes if f.branch == branch]
            full = git.resolve(commits) if git else {}
            rows.append(
                {
                    "repository": repository.name if repository else "",
                    "repo_url": package["repo_url"],
                    "branch": branch,
                    "commits": [full.get(c) or c for c in commits],
                    "introduced": package["introduced"],
                    "affected": on_branch[branch]["affected"] if known else [],
                    "fixed_in": on_branch[branch]["fixed_in"] if known else [],
                    "not_affected": not_affected.get(branch, ""),
                }
            )
        packages.append(package)
    return rows, packages


def walk(git: Git, scheme: ReleaseScheme, introduced, fixed, branches) -> dict | None:
    """What git says of one repository's releases (see affected.py): all of
    them, the affected ones, those that hold a fix, every commit carrying the
    fix; and per branch the releases on it, its affected ones and the first
    that fixes them. None when a commit is not in the repository."""
    outcome = affected_releases(git, scheme, [CaseCommits("case", introduced, fixed)])[0]
    if outcome.error:
        return None
    tagged = release_tags(git, scheme)
    rows = []
    for branch in branches:
        tags = git.run("tag", "--merged", f"refs/heads/{branch}").split()
        on_branch = {v for v in (scheme.version(t) for t in tags) if v}
        rows.append(
            {
                "branch": branch,
                "releases": sorted_versions(on_branch),
                "affected": [v for v in outcome.affected if v in on_branch],
                "fixed_in": [v for v in outcome.fixed_in if v in on_branch][:1],
            }
        )
    return {
        "releases": sorted_versions(r.version for group in tagged.values() for r in group),
        "affected": outcome.affected,
        "fixed": outcome.fixed,
        "introduced": _full(git, introduced),
        "fix_commits": sorted(
            {*outcome.fix_commits, *_unreleased_backports(git, outcome, tagged, branches)}
        ),
        "branches": rows,
    }


def _unreleased_backports(git: Git, outcome, tagged: dict, branches) -> set[str]:
    """The backports on the branches since their last release, which the walk
    over releases does not see: a reader of the GIT range who checks a
    branch's head must find the fix there too."""
    if not outcome.fix_commits or not branches:
        return set()
    since = git.run(
        "rev-list",
        "--stdin",
        input="".join(f"refs/heads/{b}\n" for b in branches)
        + "".join(f"^{c}\n" for c in [*tagged, *outcome.fix_commits]),
    ).split()
    return set(backports_among(git, outcome.fix_commits, since))


def _cleared(known: dict, not_affected: dict[str, str]) -> dict:
    """The team's word that the bug never reached a branch clears every
    release in that branch's history, which the walk, without an introducing
    commit, would call affected."""
    cleared = set().union(
        *(b["releases"] for b in known["branches"] if b["branch"] in not_affected)
    )
    return {
        **known,
        "affected": [v for v in known["affected"] if v not in cleared],
        "branches": [
            {**b, "affected": [v for v in b["affected"] if v not in cleared]}
            for b in known["branches"]
        ],
    }


def _package(project, identity: PackageIdentity, repository, only: bool) -> dict:
    """The package's names. The identity is the project's: it names the
    package of a project with one repository; each of several is named by the
    product and its repository's name alone."""
    product = identity.product or project.name
    named = only or repository is None
    return {
        "vendor": project.name,
        "product": product if named else f"{product} {repository.name}",
        "repository": repository.name if repository else "",
        "repo_url": identity.repository_url if named else "",
        "ecosystem": identity.ecosystem if named else "",
        "package_name": identity.package_name if named else "",
        "purl": identity.purl if named else "",
        "cpe": identity.cpe if named else "",
        "version_type": identity.version_type,
        "releases": [],
        "affected": [],
        "fixed": [],
        "branches": [],
    }


def _mirror(repository) -> Git | None:
    if repository is None:
        return None
    path = mirror.path_of(repository)
    try:
        return Git.open(path) if path.is_dir() else None
    except GitFailed:
        return None


def _full(git: Git | None, commits: list[str]) -> list[str]:
    if not git:
        return commits
    resolved = git.resolve(commits)
    return [resolved.get(c) or c for c in commits]


def _maintained(git: Git | None, repository) -> set[str]:
    if not git or repository is None:
        return set()
    heads = git.run("for-each-ref", "--format=%(refname:lstrip=2)", "refs/heads/").split()
    patterns = [b.pattern for b in repository.branches.all()]
    return {h for h in heads if any(fnmatch.fnmatchcase(h, p) for p in patterns)}
