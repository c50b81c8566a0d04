"""`secdesk repo …`: a project's repositories and maintained branches; and the
`secdesk fix …` commands that ask git (introducing commit, not affected,
verify, affected releases)."""

from secdesk.cli.common import acting, case_arg, visible_case
from secdesk.errors import NotFound, Refused


def register(commands):
    repo = commands.add_parser("repo", help="a project's git repositories and maintained branches")
    sub = repo.add_subparsers(dest="action", metavar="ACTION", required=True)

    p = sub.add_parser("add", help="add a repository (admins); it is mirrored on the next fetch")
    p.add_argument("project", help="the project's slug")
    p.add_argument("name", help="a short name, e.g. libvirt")
    p.add_argument("--url", required=True, metavar="URL_OR_PATH", help="what git can clone")
    p.add_argument(
        "--tags",
        default="",
        metavar="REGEX",
        help=r"release tags; the groups give the version (default ^v(\d+)\.(\d+)\.(\d+)$)",
    )
    p.set_defaults(handler=add_repository)

    p = sub.add_parser("branch", help="add (or --remove) a maintained branch or pattern (admins)")
    p.add_argument("project", help="the project's slug")
    p.add_argument("name", help="the repository")
    p.add_argument("pattern", help="a branch name or a pattern, e.g. master or v*-maint")
    p.add_argument("--remove", action="store_true", help="remove the branch or pattern instead")
    p.set_defaults(handler=branch)

    p = sub.add_parser("fetch", help="bring the mirrors up to date (clone those not yet made)")
    p.add_argument("project", help="the project's slug")
    p.add_argument("name", nargs="?", default="", help="only this repository")
    p.set_defaults(handler=fetch)

    p = sub.add_parser("list", help="the repositories and their maintained branches")
    p.add_argument("project", help="the project's slug")
    p.set_defaults(handler=list_repositories)

    # `secdesk fix` is made by cases.py (for `fix record`); argparse offers no
    # public way to add to another module's sub-commands.
    fix = next(a for a in commands.choices["fix"]._actions if a.dest == "action")
    p = fix.add_parser("introduced", help="record the commit that introduced the bug")
    case_arg(p)
    p.add_argument(
        "--commit", required=True, metavar="SHA", help="the commit that introduced the bug"
    )
    p.add_argument("--repo", default="", metavar="NAME", help="needed when there are several")
    p.set_defaults(handler=introduced)

    p = fix.add_parser("not-affected", help="mark a maintained branch not affected, with a reason")
    case_arg(p)
    p.add_argument("--branch", required=True, help="the maintained branch")
    p.add_argument("--reason", required=True, help="why the branch is not affected")
    p.set_defaults(handler=not_affected)

    p = fix.add_parser(
        "verify",
        help="check the fixes against git; exit 1 when a problem stands",
        description="Fetches the mirrors, then lists each problem naming its branch: a "
        "maintained branch without a fix or a 'not affected', a fix commit that is missing, "
        "not on its branch, or does not mention the CVE id.",
    )
    case_arg(p)
    p.set_defaults(handler=verify)

    p = fix.add_parser("affected", help="the releases the case affects and those that fix it")
    case_arg(p)
    p.add_argument("--fetch", action="store_true", help="fetch the mirrors first")
    p.set_defaults(handler=affected)


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
        {"case": commit.case_id, "commit": commit.commit, "repository": commit.repository.name},
        f"case #{commit.case_id}: introduced by {commit.commit[:12]} in {commit.repository}",
    )


def not_affected(args, out):
    from secdesk.fixes.actions import do_mark_branch_not_affected

    person = acting(args)
    marked = do_mark_branch_not_affected(
        visible_case(args, person), branch=args.branch, reason=args.reason, acting=person
    )
    out.emit(
        {"case": marked.case_id, "branch": marked.branch, "reason": marked.reason},
        f"case #{marked.case_id}: {marked.branch} marked not affected",
    )


def verify(args, out):
    from secdesk.fixes.verify import verify_case

    case = visible_case(args, acting(args))
    if not case.project.repositories.exists():
        raise Refused(f"{case.project.slug} has no repository to verify against (secdesk repo add)")
    problems = verify_case(case)
    out.emit(
        {
            "case": case.pk,
            "problems": [{"branch": p.branch, "problem": p.message} for p in problems],
        },
        "\n".join(str(p) for p in problems) or f"case #{case.pk}: the fixes are verified",
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
