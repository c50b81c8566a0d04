"""Configuring a project's repositories, and recording the fixes of a case.

Repository configuration (repositories, maintained branches) is for admins;
a case's commits and "not affected" branches for any member. Git is asked
before the transaction, never inside it: a clone or a fetch must not hold a
case's lock.
"""

import fnmatch
import re
import time
from collections.abc import Callable

from django.db import IntegrityError
from django.utils.text import slugify

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.access import require_case
from secdesk.cases.actions.common import atomic, lock_case, now
from secdesk.errors import BadInput, NotFound, Refused
from secdesk.fixes import mirror
from secdesk.fixes.git import GitFailed
from secdesk.fixes.models import Branch, Fix, IntroducingCommit, NotAffected, Repository
from secdesk.fixes.releases import ReleaseScheme
from secdesk.teams.access import require_role
from secdesk.teams.models import Person, Project, Role

# A branch name or shell-style pattern as git allows it in a ref name: no
# spaces, no "..", no leading dash (it would read as an option).
BRANCH_PATTERN = re.compile(r"^(?!-)(?!.*\.\.)[A-Za-z0-9._/*?\[\]!+-]+$")


def do_record_fix(case, *, branch: str, commit: str, repository: str = "", acting: Person) -> Fix:
    """A fix commit on a branch. The first fix marks the case fix-ready."""
    commit = commit.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{7,64}", commit):
        raise BadInput(f"malformed commit id {commit!r}: 7 to 64 hex digits")
    if not branch.strip():
        raise BadInput("name the branch the fix is on")
    with atomic():
        case = _recording(case, acting)
        repo = None
        if repository:
            repo = Repository.objects.filter(project=case.project, name=repository).first()
            if repo is None:
                raise NotFound(f"no repository {repository!r} in {case.project.slug}")
        if case.fixes.filter(branch=branch.strip(), commit=commit).exists():
            raise Refused(
                f"fix {commit[:12]} on {branch} is already recorded on case {case.reference}"
            )
        at = now()
        fix = Fix.objects.create(
            case=case,
            repository=repo,
            branch=branch.strip(),
            commit=commit,
            recorded_by=acting,
            recorded_at=at,
        )
        marked_ready = case.fix_ready_at is None
        if marked_ready:
            case.fix_ready_at = at
            case.save(update_fields=["fix_ready_at"])
        record(
            acting,
            AuditEvent.FIX_RECORDED,
            case=case,
            branch=fix.branch,
            commit=commit,
            repository=repository,
            fix_ready=marked_ready,
        )
    return fix


def repository_named(project: Project, name: str) -> Repository:
    repository = Repository.objects.filter(project=project, name=name).first()
    if repository is None:
        raise NotFound(f"no repository {name!r} in {project.slug}")
    return repository


def do_add_repository(
    project: Project, *, name: str, url: str, release_tags: str = "", acting: Person
) -> Repository:
    """A repository of the project, mirrored on the next fetch."""
    name, url = name.strip(), url.strip()
    if not name or slugify(name) != name:
        raise BadInput(f"repository name {name!r}: use lowercase letters, digits and dashes")
    if not url or url.startswith("-"):
        raise BadInput(f"repository URL {url!r}: give a path or a URL that git can clone")
    # Refused here in one line, rather than when the first case is verified.
    ReleaseScheme(release_tags or Repository._meta.get_field("release_tags").default)
    with atomic():
        require_role(acting, project, Role.ADMIN)
        try:
            repository = Repository.objects.create(
                project=project,
                name=name,
                url=url,
                **({"release_tags": release_tags} if release_tags else {}),
            )
        except IntegrityError:
            raise Refused(f"{project.slug} already has a repository {name!r}") from None
        record(
            acting,
            AuditEvent.REPOSITORY_ADDED,
            project=project,
            repository=name,
            url=url,
            release_tags=repository.release_tags,
        )
    return repository


def do_add_maintained_branch(repository: Repository, *, pattern: str, acting: Person) -> Branch:
    """A branch (or a pattern of branches, e.g. `v*-maint`) every fix must reach."""
    pattern = pattern.strip()
    if not BRANCH_PATTERN.match(pattern):
        raise BadInput(f"branch pattern {pattern!r}: a branch name, or one with * ? [...]")
    with atomic():
        require_role(acting, repository.project, Role.ADMIN)
        if repository.branches.filter(pattern=pattern).exists():
            raise Refused(f"{pattern} is already a maintained branch of {repository}")
        branch = Branch.objects.create(repository=repository, pattern=pattern)
        record(
            acting,
            AuditEvent.MAINTAINED_BRANCH_ADDED,
            project=repository.project,
            repository=repository.name,
            pattern=pattern,
        )
    return branch


def do_remove_maintained_branch(repository: Repository, *, pattern: str, acting: Person):
    with atomic():
        require_role(acting, repository.project, Role.ADMIN)
        deleted, _ = repository.branches.filter(pattern=pattern.strip()).delete()
        if not deleted:
            configured = ", ".join(repository.branches.values_list("pattern", flat=True))
            raise NotFound(
                f"{pattern!r} is not a maintained branch of {repository} "
                f"(maintained: {configured or 'none'})"
            )
        record(
            acting,
            AuditEvent.MAINTAINED_BRANCH_REMOVED,
            project=repository.project,
            repository=repository.name,
            pattern=pattern.strip(),
        )


# progress(repository, done, total): a fetch of many mirrors says where it is.
FetchProgress = Callable[[Repository, int, int], None]


def do_fetch_repositories(
    project: Project,
    *,
    name: str = "",
    acting: Person,
    progress: FetchProgress | None = None,
) -> list[dict]:
    """Bring the project's mirrors (or the one named) up to date, cloning those
    that have none yet. One repository that cannot be reached does not stop
    the others: each gets its own result."""
    require_role(acting, project)
    repositories = (
        [repository_named(project, name)] if name else list(project.repositories.order_by("name"))
    )
    results = []
    for done, repository in enumerate(repositories):
        if progress:
            progress(repository, done, len(repositories))
        started = time.monotonic()
        try:
            mirror.update(repository)
            error = None
        except GitFailed as err:
            error = err.message
        results.append(
            {
                "repository": repository.name,
                "fetched": error is None,
                "seconds": round(time.monotonic() - started, 2),
                "error": error,
            }
        )
    with atomic():
        require_role(acting, project)
        record(
            acting,
            AuditEvent.REPOSITORIES_FETCHED,
            project=project,
            fetched=[r["repository"] for r in results if r["fetched"]],
            failed=[r["repository"] for r in results if not r["fetched"]],
        )
    return results


def do_record_introducing_commit(
    case, *, commit: str, repository: str = "", acting: Person
) -> IntroducingCommit:
    """The commit that brought the bug in, resolved in the repository's mirror
    (an abbreviated id is stored in full; a commit the mirror lacks is refused)."""
    require_case(acting, case)
    repo = _case_repository(case.project, repository)
    full = _resolve(repo, commit)
    with atomic():
        case = _recording(case, acting)
        if case.introduced_by.filter(repository=repo, commit=full).exists():
            raise Refused(f"{full[:12]} is already recorded as introducing case {case.reference}")
        introducing = IntroducingCommit.objects.create(case=case, repository=repo, commit=full)
        record(
            acting,
            AuditEvent.INTRODUCING_COMMIT_RECORDED,
            case=case,
            commit=full,
            repository=repo.name,
        )
    return introducing


def do_mark_branch_not_affected(case, *, branch: str, reason: str, acting: Person) -> NotAffected:
    """A maintained branch the bug never reached, and why: verification then
    asks no fix of it."""
    branch, reason = branch.strip(), reason.strip()
    if not reason:
        raise BadInput("say why the branch is not affected (--reason)")
    with atomic():
        case = _recording(case, acting)
        patterns = list(
            Branch.objects.filter(repository__project=case.project).values_list(
                "pattern", flat=True
            )
        )
        if not any(fnmatch.fnmatchcase(branch, pattern) for pattern in patterns):
            raise NotFound(
                f"{branch!r} is not a maintained branch of {case.project.slug} "
                f"(maintained: {', '.join(sorted(patterns)) or 'none'})"
            )
        if case.not_affected.filter(branch=branch).exists():
            raise Refused(f"{branch} is already marked not affected on case {case.reference}")
        marked = NotAffected.objects.create(
            case=case, branch=branch, reason=reason, recorded_by=acting, recorded_at=now()
        )
        record(acting, AuditEvent.BRANCH_NOT_AFFECTED, case=case, branch=branch, reason=reason)
    return marked


def _recording(case, acting: Person):
    """The case, locked for the transaction. Its commits may be recorded after
    publication too: a backport or a branch found not affected corrects the
    advisory's ranges when the advisory is amended (advisories/revisions.py);
    the published documents do not change before."""
    case = lock_case(case)
    require_case(acting, case)
    return case


def _case_repository(project: Project, name: str) -> Repository:
    if name:
        return repository_named(project, name)
    repositories = list(project.repositories.all()[:2])
    if len(repositories) == 1:
        return repositories[0]
    if not repositories:
        raise NotFound(f"{project.slug} has no repository (secdesk repo add)")
    raise BadInput(f"{project.slug} has several repositories: name one (--repo)")


def _resolve(repository: Repository, commit: str) -> str:
    commit = commit.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{7,64}", commit):
        raise BadInput(f"malformed commit id {commit!r}: 7 to 64 hex digits")
    git = mirror.opened(repository)
    full = git.resolve([commit])[commit]
    if full is None:
        raise NotFound(
            f"commit {commit} is not in {repository} (or the abbreviation is ambiguous; "
            "secdesk repo fetch brings the mirror up to date)"
        )
    return full
