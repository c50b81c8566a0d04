"""The arguments of `secdesk case …`, `secdesk cve …`, `secdesk fix …`: working a case."""

from secdesk.cli.common import case_arg


def case(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    _intake(sub)
    _moves(sub)
    _triage(sub)
    _publication(sub)


def _intake(sub):
    p = sub.add_parser("receive", help="file a report received outside the security address")
    p.add_argument("project", help="the project's slug")
    p.add_argument(
        "--from", dest="reporter", required=True, metavar="EMAIL", help="the reporter's address"
    )
    p.add_argument("--name", default="", help="the reporter's name")
    p.add_argument("--subject", required=True, help="the report's subject")
    p.add_argument("--body", required=True, help="the report text, - for stdin, @FILE for a file")
    p.add_argument("--public", action="store_true", help="already public when reported (zero-day)")
    p.set_defaults(handler="cases:receive")

    p = sub.add_parser("list", help="the cases you may see")
    p.add_argument("--project", help="only this project's cases")
    p.add_argument("--state", help="only cases in this state")
    p.set_defaults(handler="cases:list_cases")

    p = sub.add_parser("show", help="everything about a case")
    case_arg(p)
    p.set_defaults(handler="cases:show")


def _moves(sub):
    for name, needs_reason, text in (
        ("hold", False, "hold a received report for moderation"),
        ("validate", False, "the report is in scope: a case for the team"),
        ("invalidate", True, "the report is not valid"),
        ("accept", False, "the team takes the case on"),
        ("defer", True, "put the case aside"),
        ("close", True, "close the case"),
    ):
        p = sub.add_parser(name, help=text)
        case_arg(p)
        p.add_argument(
            "--reason", required=needs_reason, default="", help="why: recorded in the audit trail"
        )
        p.set_defaults(handler="cases:move", step=name)

    p = sub.add_parser("duplicate", help="defer a case as a duplicate of another")
    case_arg(p)
    p.add_argument(
        "--of",
        required=True,
        metavar="CASE",
        help="the case this one duplicates: its number in the same project, or project#number",
    )
    p.set_defaults(handler="cases:duplicate")


def _triage(sub):
    p = sub.add_parser("triage", help="record the triage decision and severity")
    case_arg(p)
    verdict = p.add_mutually_exclusive_group(required=True)
    verdict.add_argument(
        "--security-issue", dest="security", action="store_true", help="it is a security issue"
    )
    verdict.add_argument(
        "--not-security-issue",
        dest="security",
        action="store_false",
        help="it is not a security issue",
    )
    p.add_argument("--reasoning", required=True, help="why; - for stdin, @FILE for a file")
    p.add_argument("--cvss3", default="", metavar="VECTOR", help="a CVSS:3.1/… vector")
    p.add_argument("--cvss4", default="", metavar="VECTOR", help="a CVSS:4.0/… vector")
    p.set_defaults(handler="cases:triage")

    p = sub.add_parser("fact", help="set a one-way case fact")
    case_arg(p)
    p.add_argument(
        "fact",
        help="vendor-aware, fix-ready, fix-published, public, exploit-public or attacks-observed",
    )
    p.set_defaults(handler="cases:fact")

    p = sub.add_parser("fix-faulty", help="a proposed fix turned out faulty")
    case_arg(p)
    p.add_argument("--reason", required=True, help="what is wrong with the fix")
    p.set_defaults(handler="cases:fix_faulty")


def _publication(sub):
    p = sub.add_parser("restrict", help="only these members see the case (admins)")
    case_arg(p)
    p.add_argument("members", nargs="*", metavar="EMAIL", help="none: lift the restriction")
    p.set_defaults(handler="cases:restrict")

    p = sub.add_parser("publish", help="make the case public")
    case_arg(p)
    p.add_argument(
        "--end-embargo", action="store_true", help="end an embargo in force now, by team decision"
    )
    p.add_argument(
        "--override",
        default="",
        metavar="REASON",
        help="(admins) publish despite missing fixes, for this reason",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="publish even though the site address (SECDESK_SITE_URL) is this machine's own",
    )
    p.set_defaults(handler="cases:publish")


def cve(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("assign", help="assign a CVE id to a case")
    case_arg(p)
    p.add_argument("cve_id", metavar="CVE-ID", help="the id, e.g. CVE-2026-1234")
    p.set_defaults(handler="cases:assign_cve")


def fix(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("record", help="record a fix commit on a branch")
    case_arg(p)
    p.add_argument("--branch", required=True, help="the maintained branch the fix is on")
    p.add_argument("--commit", required=True, help="the fix commit")
    p.add_argument("--repo", default="", help="the project's repository name")
    p.set_defaults(handler="cases:record_fix")
