"""Are a case's fixes what the advisory will say they are?

Every maintained branch has a fix or an explicit "not affected"; every fix
commit exists, is on its branch (itself, or a backport of it), and its message
mentions the case's CVE id. Publication is refused while a problem remains,
unless an admin overrides it with a reason.
"""

import fnmatch
import re
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef

from secdesk.advisories.models import CveState
from secdesk.cases.models import Case
from secdesk.fixes import mirror
from secdesk.fixes.backports import backports_among
from secdesk.fixes.git import Git, GitFailed
from secdesk.fixes.models import Fix, NotAffected, Repository


@dataclass(frozen=True)
class Problem:
    branch: str
    message: str

    def __str__(self):
        return f"{self.branch}: {self.message}"


def no_fix_recorded(case: Case) -> str:
    """The one problem of a case without a fix or a "not affected" in a
    project whose repositories secdesk does not know."""
    return f"no fix is recorded (see /security/{case.project.slug}/#branches)"


def cases_missing_fixes(cases, *, limit: int) -> list[tuple[Case, list[str]]]:
    """Up to `limit` of `cases` whose fixes do not cover every maintained
    branch, those whose embargo ends first, each with its problems.

    Without repositories a recorded fix (or "not affected") is all there is
    to check: asked of every case in one query. With them each case is
    verified from git (the mirrors as they are): the first `limit` only, so
    that a page showing this costs the same however many cases wait."""
    by_end = (F("embargo__end_at").asc(nulls_last=True), "pk")
    with_repositories = Exists(Repository.objects.filter(project_id=OuterRef("project_id")))
    unrecorded = cases.filter(~with_repositories).exclude(
        Exists(Fix.objects.filter(case_id=OuterRef("pk")))
        | Exists(NotAffected.objects.filter(case_id=OuterRef("pk")))
    )
    found = [
        (case, [no_fix_recorded(case)])
        for case in unrecorded.select_related("project", "embargo").order_by(*by_end)[:limit]
    ]
    verified = cases.filter(with_repositories).select_related("project", "embargo")
    for case in verified.order_by(*by_end)[:limit]:
        if problems := [str(problem) for problem in verify_case(case, fetch=False)]:
            found.append((case, problems))
    return sorted(found, key=_by_end)[:limit]


def _by_end(item: tuple[Case, list[str]]):
    case = item[0]
    end = case.embargo.end_at if getattr(case, "embargo", None) is not None else None
    return (end is None, end or case.received_at, case.pk)


def verify_case(case: Case, *, fetch: bool = True) -> list[Problem]:
    """The problems that stand between the case and its advisory, each naming
    its branch; none means the fixes are verified. With `fetch`, each mirror is
    brought up to date first (cloned if there is none yet)."""
    repositories = list(case.project.repositories.prefetch_related("branches").order_by("name"))
    cve_ids = [c.cve_id for c in case.cve_ids.exclude(state=CveState.REJECTED).order_by("cve_id")]
    fixes = list(case.fixes.select_related("repository").order_by("branch", "commit"))
    not_affected = set(case.not_affected.values_list("branch", flat=True))
    problems = []
    opened = {}
    for repository in repositories:
        try:
            opened[repository.pk] = _open(repository, fetch)
        except GitFailed as err:
            problems += [
                Problem(b.pattern, f"cannot read {repository}: {err}")
                for b in repository.branches.all()
            ]
            continue
        heads = opened[repository.pk][1]
        for branch in _maintained(repository, heads, problems):
            has_fix = any(
                fix.branch == branch and fix.repository_id in (None, repository.pk) for fix in fixes
            )
            if not has_fix and branch not in not_affected:
                problems.append(
                    Problem(branch, f"no fix recorded in {repository}, and not marked not affected")
                )
    for fix in fixes:
        repository = fix.repository or (repositories[0] if len(repositories) == 1 else None)
        if repository is None:
            problems.append(
                Problem(
                    fix.branch, f"fix {fix.commit} names no repository, and the project has several"
                )
            )
        elif repository.pk in opened:
            problems += _check_fix(fix, repository, *opened[repository.pk], cve_ids)
    return problems


def _open(repository: Repository, fetch: bool) -> tuple[Git, set[str]]:
    git = mirror.update(repository) if fetch else Git.open(mirror.path_of(repository))
    heads = git.run("for-each-ref", "--format=%(refname:lstrip=2)", "refs/heads/").split()
    return git, set(heads)


def _maintained(repository: Repository, heads: set[str], problems: list[Problem]) -> list[str]:
    branches = set()
    for branch in repository.branches.all():
        matching = {head for head in heads if fnmatch.fnmatchcase(head, branch.pattern)}
        if not matching:
            problems.append(
                Problem(branch.pattern, f"no branch of {repository} matches this maintained branch")
            )
        branches |= matching
    return sorted(branches)


def _check_fix(fix: Fix, repository, git: Git, heads: set[str], cve_ids) -> list[Problem]:
    short = fix.commit[:12]
    commit = git.resolve([fix.commit])[fix.commit]
    if not commit:
        return [Problem(fix.branch, f"fix commit {short} is not in {repository}")]
    if fix.branch not in heads:
        return [Problem(fix.branch, f"{repository} has no branch {fix.branch}")]
    head = f"refs/heads/{fix.branch}"
    shipped = [commit]
    if git.run("rev-list", "--count", f"{head}..{commit}").strip() != "0":
        # The commits that ship on the branch are the ones whose message must say it.
        since_fix = git.run("rev-list", head, f"^{commit}").split()
        shipped = sorted(backports_among(git, {commit}, since_fix))
        if not shipped:
            return [
                Problem(
                    fix.branch,
                    f"fix commit {short} is not on {fix.branch}, and no backport of it is",
                )
            ]
    if not cve_ids:
        return [Problem(fix.branch, f"the case has no CVE id for commit {short} to mention")]
    messages = git.run("rev-list", "--no-commit-header", "--no-walk", "--format=%B", *shipped)
    if not any(re.search(rf"\b{re.escape(cve)}\b", messages, re.IGNORECASE) for cve in cve_ids):
        named = ", ".join(c[:12] for c in shipped)
        return [Problem(fix.branch, f"commit {named} does not mention {' or '.join(cve_ids)}")]
    return []
