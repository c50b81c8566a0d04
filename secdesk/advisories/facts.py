"""What an advisory says, gathered once from the case, as plain JSON-ready data.

Every format (the announcement, the HTML page, CVE JSON, OSV, CSAF) is rendered
from these facts, so all of them tell the same story; a publication stores the
facts it rendered, so a page served later says what the announcement said.
"""

import fnmatch
from datetime import datetime

from django.conf import settings

from secdesk.advisories.cwe import cwe_name
from secdesk.advisories.models import Advisory, CveState
from secdesk.cases.models import Case
from secdesk.cases.severity import severity_name
from secdesk.fixes import mirror
from secdesk.fixes.affected import CaseCommits, affected_releases
from secdesk.fixes.git import Git, GitFailed
from secdesk.fixes.releases import ReleaseScheme, sorted_versions

# The timeline names embargo events as an announcement would.
EMBARGO_EVENT_TEXT = {
    "accepted": "Embargo agreed, until {end}",
    "restarted": "Embargo clock restarted after a faulty fix, until {end}",
    "exited": "Embargo ended ({reason})",
}


def _iso(when: datetime | None) -> str | None:
    return when.isoformat().replace("+00:00", "Z") if when else None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


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
    cwe = advisory.cwe if advisory else ""
    facts = {
        "id": public_id,
        "project": {"slug": project.slug, "name": project.name},
        "case": case.pk,
        "title": title,
        "description": advisory.description if advisory else "",
        "impact": advisory.impact if advisory else "",
        "cwe": {"id": cwe, "name": cwe_name(cwe)} if cwe else None,
        "cves": cves,
        "cvss3": _score(case.cvss3_vector, case.cvss3_score),
        "cvss4": _score(case.cvss4_vector, case.cvss4_score),
        "severity": severity_name(case.cvss3_score or case.cvss4_score),
        "credits": _lines(advisory.credits) if advisory else [],
        "references": _lines(advisory.references) if advisory else [],
        "zero_day": case.public_at_intake,
        "published": _iso(published),
        "url": public_url(f"/advisories/{public_id}/"),
        "timeline": _timeline(case, published),
        "branches": _branches(case),
    }
    facts["affected"] = sorted_versions(v for b in facts["branches"] for v in b["affected"])
    facts["fixed_in"] = sorted_versions(v for b in facts["branches"] for v in b["fixed_in"])
    return facts


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


def _branches(case) -> list[dict]:
    """Per branch: its fix commits, and — from the project's git mirrors — the
    releases on that branch's line that are affected and the first that ship
    the fix. A branch with no mirror to read still lists its commits."""
    repositories = list(case.project.repositories.prefetch_related("branches").order_by("name"))
    fixes = list(case.fixes.select_related("repository").order_by("branch", "recorded_at"))
    introduced = list(case.introduced_by.select_related("repository"))
    not_affected = {n.branch: n.reason for n in case.not_affected.all()}
    sole = repositories[0] if len(repositories) == 1 else None
    rows = []
    groups: dict = {}
    for fix in fixes:
        groups.setdefault(fix.repository or sole, []).append(fix)
    for repository in repositories:
        groups.setdefault(repository, [])
    for repository, repo_fixes in groups.items():
        git = _mirror(repository)
        intro = [i.commit for i in introduced if (i.repository or sole) == repository]
        known = _releases(git, repository, intro, [f.commit for f in repo_fixes]) if git else None
        names = sorted({f.branch for f in repo_fixes} | _maintained(git, repository))
        for branch in names:
            commits = [f.commit for f in repo_fixes if f.branch == branch]
            full = git.resolve(commits) if git else {}
            row = {
                "repository": repository.name if repository else "",
                "repo_url": repository.url if repository else "",
                "branch": branch,
                "commits": [full.get(c) or c for c in commits],
                "introduced": [full_id for full_id in _full(git, intro)],
                "affected": [],
                "fixed_in": [],
                "not_affected": not_affected.get(branch, ""),
            }
            if known:
                on_branch = _versions_on(git, repository, branch)
                row["affected"] = [v for v in known["affected"] if v in on_branch]
                row["fixed_in"] = [v for v in known["fixed_in"] if v in on_branch][:1]
            rows.append(row)
    return rows


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


def _releases(git: Git, repository, intro: list[str], fixed: list[str]) -> dict | None:
    scheme = ReleaseScheme(repository.release_tags)
    outcome = affected_releases(git, scheme, [CaseCommits("case", intro, fixed)])[0]
    if outcome.error:
        return None
    return {"affected": outcome.affected, "fixed_in": outcome.fixed_in}


def _versions_on(git: Git, repository, branch: str) -> set[str]:
    scheme = ReleaseScheme(repository.release_tags)
    tags = git.run("tag", "--merged", f"refs/heads/{branch}").split()
    return {v for v in (scheme.version(t) for t in tags) if v}
