"""The arguments of `secdesk git …`: affected releases from git, the embargo leak guard."""


def git(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    p = sub.add_parser(
        "affected",
        help="affected and fixed releases for a batch of cases",
        description="FILE holds one JSON object a line: "
        '{"id": "...", "introduced": ["sha", ...], "fixed": ["sha", ...]}. '
        "With --json the answer is one JSON object a line, in the same order.",
    )
    p.add_argument("--repo", required=True, metavar="PATH", help="a bare repository or a work tree")
    p.add_argument(
        "--tags",
        required=True,
        metavar="REGEX",
        help=r"release tags; the groups give the version, e.g. ^v(\d+)\.(\d+)\.(\d+)$",
    )
    p.add_argument("--batch", required=True, metavar="FILE", help="the cases, - for stdin")
    p.set_defaults(handler="git:affected", needs_django=False)

    p = sub.add_parser(
        "leak-check",
        help="refuse commits that mention an embargoed case",
        description="Exit 1 when a commit in the range mentions an embargoed CVE id or case "
        "token, or has the patch of an embargoed fix, and when an embargoed fix could not be "
        "compared (it fails closed). For a pre-receive hook or a CI step.",
    )
    p.add_argument("--repo", required=True, metavar="PATH", help="the repository to check")
    p.add_argument(
        "--range",
        required=True,
        dest="revs",
        metavar="REVS",
        help="the commits to check: A..B, or 'NEW --not --all' for a new branch",
    )
    p.add_argument(
        "--allow-unchecked",
        action="store_true",
        help="pass (with a warning) when an embargoed fix could not be compared "
        "because neither this repository nor secdesk's mirror has it",
    )
    p.set_defaults(handler="git:leak_check")
