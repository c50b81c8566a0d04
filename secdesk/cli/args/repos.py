"""The arguments of `secdesk repo …`: a project's repositories and maintained branches."""

from secdesk.cli.common import case_arg, subcommands


def repo(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

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
    p.set_defaults(handler="repos:add_repository")

    p = sub.add_parser("branch", help="add (or --remove) a maintained branch or pattern (admins)")
    p.add_argument("project", help="the project's slug")
    p.add_argument("name", help="the repository")
    p.add_argument("pattern", help="a branch name or a pattern, e.g. master or v*-maint")
    p.add_argument("--remove", action="store_true", help="remove the branch or pattern instead")
    p.set_defaults(handler="repos:branch")

    p = sub.add_parser("fetch", help="bring the mirrors up to date (clone those not yet made)")
    p.add_argument("project", help="the project's slug")
    p.add_argument("name", nargs="?", default="", help="only this repository")
    p.set_defaults(handler="repos:fetch")

    p = sub.add_parser("list", help="the repositories and their maintained branches")
    p.add_argument("project", help="the project's slug")
    p.set_defaults(handler="repos:list_repositories")


def fix_in_git(parser):
    """`fix introduced|not-affected|verify|affected`, under `fix` (made by cases.py)."""
    fix = subcommands(parser)
    p = fix.add_parser("introduced", help="record the commit that introduced the bug")
    case_arg(p)
    p.add_argument(
        "--commit", required=True, metavar="SHA", help="the commit that introduced the bug"
    )
    p.add_argument("--repo", default="", metavar="NAME", help="needed when there are several")
    p.set_defaults(handler="repos:introduced")

    p = fix.add_parser("not-affected", help="mark a maintained branch not affected, with a reason")
    case_arg(p)
    p.add_argument("--branch", required=True, help="the maintained branch")
    p.add_argument("--reason", required=True, help="why the branch is not affected")
    p.set_defaults(handler="repos:not_affected")

    p = fix.add_parser(
        "verify",
        help="check the fixes against git; exit 1 when a problem stands",
        description="Fetches the mirrors, then lists each problem naming its branch: a "
        "maintained branch without a fix or a 'not affected', a fix commit that is missing, "
        "not on its branch, or does not mention the CVE id.",
    )
    case_arg(p)
    p.set_defaults(handler="repos:verify")

    p = fix.add_parser("affected", help="the releases the case affects and those that fix it")
    case_arg(p)
    p.add_argument("--fetch", action="store_true", help="fetch the mirrors first")
    p.set_defaults(handler="repos:affected")
