"""The arguments of `secdesk embargo …`: propose, agree, accept, restart and end embargoes."""

from secdesk.cli.common import case_arg, positive_int


def embargo(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    p = sub.add_parser("propose", help="propose an embargo end, or a revision of the one in force")
    case_arg(p)
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument(
        "--days",
        type=positive_int,
        help="the embargo's length in days, counted from its clock start",
    )
    when.add_argument("--end", help="the end, with a time and zone, e.g. 2026-12-10T14:00Z")
    p.add_argument(
        "--justification",
        default="",
        help="required beyond the policy's default length; - or @FILE",
    )
    p.set_defaults(handler="embargo:propose")

    p = sub.add_parser("accept", help="accept the open proposal")
    case_arg(p)
    p.set_defaults(handler="embargo:accept")

    p = sub.add_parser("reject", help="reject the open proposal")
    case_arg(p)
    p.add_argument("--reason", required=True, help="why the proposal is rejected")
    p.set_defaults(handler="embargo:reject")

    p = sub.add_parser("agree", help="agree to the open proposal (an extension needs this)")
    case_arg(p)
    p.add_argument("--reason", default="", help="a word for the team")
    p.set_defaults(handler="embargo:agree")

    p = sub.add_parser("object", help="object to the open proposal")
    case_arg(p)
    p.add_argument("--reason", required=True, help="why you object")
    p.set_defaults(handler="embargo:object_")

    p = sub.add_parser("restart", help="restart the clock after a fix was found faulty")
    case_arg(p)
    p.add_argument(
        "--days", type=positive_int, help="length of the new clock (default: the policy's)"
    )
    p.set_defaults(handler="embargo:restart")

    p = sub.add_parser("end", help="end the embargo now, by team decision")
    case_arg(p)
    p.add_argument(
        "--reason", required=True, help="the team's decision, recorded in the audit trail"
    )
    p.set_defaults(handler="embargo:end")
