"""The arguments of `secdesk audit …`: the audit trail."""

from secdesk.cli.common import CASE_HELP


def audit(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("log", help="the records, oldest first")
    p.add_argument("--case", help=f"only the records of this case: {CASE_HELP}")
    p.add_argument("--project", help="only the records of this project")
    p.set_defaults(handler="audit:log")
    p = sub.add_parser(
        "verify", help="check that no record was changed or removed (the whole trail)"
    )
    p.add_argument(
        "--anchor",
        action="append",
        default=[],
        metavar="SEQ:HASH:TIME:SEAL",
        help="also check against this anchor, as an anchor mail gives it (repeatable)",
    )
    p.set_defaults(handler="audit:verify")
    p = sub.add_parser(
        "anchor", help="seal the end of the trail now and mail it to every project's admins"
    )
    p.set_defaults(handler="audit:anchor")
    p = sub.add_parser(
        "export",
        help="the trail as JSON lines (site admins: all; admins: their projects'), "
        "without the records of cases you may not see",
    )
    p.add_argument("--output", "-o", default="-", help="a file (default: standard output)")
    p.set_defaults(handler="audit:export")
