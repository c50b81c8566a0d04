"""The arguments of `secdesk cve …`, `secdesk advisory …` and `secdesk docs export`."""

from secdesk.cli.common import case_arg, positive_int, subcommands

FORMATS = ("text", "html", "cve", "osv", "csaf")


def cve_pool(parser):
    """The pool of reserved ids and CVE Services, under `cve` (made by cases.py)."""
    sub = subcommands(parser)
    p = sub.add_parser("pool", help="the project's pool of reserved ids")
    pool = p.add_subparsers(dest="pool_action", metavar="ACTION", required=True)
    q = pool.add_parser("import", help="add ids you reserved (one per line in FILE, or -)")
    q.add_argument("project", help="the project's slug")
    q.add_argument(
        "ids", nargs="+", metavar="CVE-ID|@FILE|-", help="ids, or a file of them, or - for stdin"
    )
    q.set_defaults(handler="advisories:pool_import")
    q = pool.add_parser("list", help="the ids the project holds")
    q.add_argument("project", help="the project's slug")
    q.set_defaults(handler="advisories:pool_list")
    p = sub.add_parser("next", help="assign the next id of the pool to a case")
    case_arg(p)
    p.set_defaults(handler="advisories:assign_next")
    p = sub.add_parser("release", help="take an unused id off its case, back to the pool")
    p.add_argument("cve_id", metavar="CVE-ID", help="the id, e.g. CVE-2026-1234")
    p.set_defaults(handler="advisories:release")
    p = sub.add_parser("reject", help="reject an unused id of the pool (at CVE Services too)")
    p.add_argument("cve_id", metavar="CVE-ID", help="the id, e.g. CVE-2026-1234")
    p.add_argument("--reason", required=True, help="why: sent to CVE Services and recorded")
    p.set_defaults(handler="advisories:reject")
    p = sub.add_parser("reserve", help="reserve ids from CVE Services into the pool")
    p.add_argument("project", help="the project's slug")
    p.add_argument("--count", type=positive_int, default=1, help="how many ids (default: 1)")
    p.add_argument("--year", type=positive_int, help="the ids' year (default: this year)")
    p.set_defaults(handler="advisories:reserve")
    p = sub.add_parser("services", help="set the project's CVE Services account (admins)")
    p.add_argument("project", help="the project's slug")
    p.add_argument("--org", required=True, help="the CNA's short name")
    p.add_argument("--user", required=True, help="the CVE Services user name")
    p.add_argument("--api-key", required=True, help="@FILE or - (keeps it out of shell history)")
    p.add_argument("--url", default="", help="the API's URL (default: production)")
    p.set_defaults(handler="advisories:services")


def advisory(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("edit", help="write the advisory's text")
    case_arg(p)
    hints = {
        "cwe": "one or more, e.g. 'CWE-787, CWE-20'",
        "credits": "one per line, the role first unless finder ('reporter: Name <address>')",
        "references": "one URL per line, its type first unless a web page ('fix https://…')",
    }
    for field in ("title", "description", "impact", "cwe", "credits", "references"):
        hint = f"{hints[field]}; " if field in hints else ""
        p.add_argument(f"--{field}", help=f"{hint}text, - for stdin, @FILE for a file")
    p.set_defaults(handler="advisories:edit")
    p = sub.add_parser("amend", help="amend the published advisory (its next revision)")
    case_arg(p)
    p.add_argument("--reason", required=True, help="why: text, - for stdin, @FILE for a file")
    p.set_defaults(handler="advisories:amend")
    p = sub.add_parser("show", help="the advisory's facts and what is still missing")
    case_arg(p)
    p.set_defaults(handler="advisories:show")
    p = sub.add_parser("render", help="the advisory in one format")
    case_arg(p)
    p.add_argument(
        "--format", choices=FORMATS, default="text", help="the output format (default: text)"
    )
    p.set_defaults(handler="advisories:render")


def docs(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("export", help="write every project's security page, section, security.txt")
    p.add_argument("directory", metavar="DIR", help="where to write them")
    p.set_defaults(handler="advisories:export_docs")
