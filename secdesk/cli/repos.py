"""`secdesk repo …`: a project's repositories and maintained branches; and the
`secdesk fix …` commands that ask git (introducing commit, not affected,
verify, affected releases)."""

from secdesk.cli.common import acting, visible_case
from secdesk.errors import NotFound, Refused


def _project(args, person):
    """The project named, if the acting person is on its team: as for a case,
    a project one may not see is not revealed."""
    from secdesk.teams.access import has_role
    from secdesk.teams.models import Project

    project = Project.objects.filter(slug=args.project).first()
    if project is None or not has_role(person, project):
        raise NotFound(f"no project {args.project!r} that {person.email} is on")
    return project


def _repository_data(repository) -> dict:
    return {
        "name": repository.name,
        "url": repository.url,
        "release_tags": repository.release_tags,
        "branches": sorted(repository.branches.values_list("pattern", flat=True)),
        "fetched_at": repository.fetched_at,
    }


def add_repository(args, out):
    from secdesk.fixes.actions import do_add_repository

    person = acting(args)
    repository = do_add_repository(
        _project(args, person), name=args.name, url=args.url, release_tags=args.tags, acting=person
    )
    out.emit(_repository_data(repository), f"repository {repository} added")


def branch(args, out):
    from secdesk.fixes.actions import (
        do_add_maintained_branch,
        do_remove_maintained_branch,
        repository_named,
    )

    person = acting(args)
    repository = repository_named(_project(args, person), args.name)
    if args.remove:
        do_remove_maintained_branch(repository, pattern=args.pattern, acting=person)
        text = f"{args.pattern} is no longer a maintained branch of {repository}"
    else:
        do_add_maintained_branch(repository, pattern=args.pattern, acting=person)
        text = f"{args.pattern} is a maintained branch of {repository}"
    out.emit(_repository_data(repository), text)


def fetch(args, out):
    from secdesk.fixes.actions import do_fetch_repositories

    def progress(repository, done, total):
        out.err.print(f"fetching {repository} ({done + 1}/{total})…", markup=False)

    person = acting(args)
    results = do_fetch_repositories(
        _project(args, person), name=args.name, acting=person, progress=progress
    )
    lines = [
        f"{r['repository']}: fetched in {r['seconds']} s"
        if r["fetched"]
        else f"{r['repository']}: {r['error']}"
        for r in results
    ]
    out.emit(results, "\n".join(lines) or f"{args.project} has no repository")
    return 0 if all(r["fetched"] for r in results) else 1


def list_repositories(args, out):
    person = acting(args)
    repositories = [
        _repository_data(r) for r in _project(args, person).repositories.order_by("name")
    ]

    def human(console):
        if not repositories:
            console.print(f"{args.project} has no repository (secdesk repo add)", markup=False)
        for r in repositories:
            fetched = f"{r['fetched_at']:%Y-%m-%d %H:%M} UTC" if r["fetched_at"] else "never"
            console.print(f"{r['name']}  {r['url']}  (fetched {fetched})", markup=False)
            console.print(f"  release tags: {r['release_tags']}", markup=False)
            console.print(f"  maintained: {' '.join(r['branches']) or 'none'}", markup=False)

    out.emit(repositories, human)


def introduced(args, out):
    from secdesk.fixes.actions import do_record_introducing_commit

    person = acting(args)
    commit = do_record_introducing_commit(
        visible_case(args, person), commit=args.commit, repository=args.repo, acting=person
    )
    out.emit(
        {
            "case": commit.case.reference,
            "commit": commit.commit,
            "repository": commit.repository.name,
        },
        f"case {commit.case.reference}: introduced by {commit.commit[:12]} in {commit.repository}",
    )


def not_affected(args, out):
    from secdesk.fixes.actions import do_mark_branch_not_affected

    person = acting(args)
    marked = do_mark_branch_not_affected(
        visible_case(args, person), branch=args.branch, reason=args.reason, acting=person
    )
    out.emit(
        {"case": marked.case.reference, "branch": marked.branch, "reason": marked.reason},
        f"case {marked.case.reference}: {marked.branch} marked not affected",
    )


def verify(args, out):
    from secdesk.advisories.verify import verify_case

    case = visible_case(args, acting(args))
    if not case.project.repositories.exists():
        raise Refused(f"{case.project.slug} has no repository to verify against (secdesk repo add)")
    problems = verify_case(case)
    out.emit(
        {
            "case": case.reference,
            "problems": [{"branch": p.branch, "problem": p.message} for p in problems],
        },
        "\n".join(str(p) for p in problems) or f"case {case.reference}: the fixes are verified",
    )
    return 1 if problems else 0


def affected(args, out):
    from secdesk.fixes.case_releases import case_releases

    case = visible_case(args, acting(args))
    answers = case_releases(case, fetch=args.fetch)

    def human(console):
        if not answers:
            console.print(f"{case.project.slug} has no repository (secdesk repo add)", markup=False)
        for answer in answers:
            o = answer.outcome
            console.print(f"{answer.repository}:", markup=False)
            if o.error:
                console.print(f"  error: {o.error}", markup=False)
                continue
            console.print(f"  affected: {' '.join(o.affected) or 'none'}", markup=False)
            console.print(f"  fixed in: {' '.join(o.fixed_in) or 'none'}", markup=False)

    out.emit([answer.as_json() for answer in answers], human)
    return 1 if any(answer.outcome.error for answer in answers) else 0
