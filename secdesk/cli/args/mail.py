"""The arguments of `secdesk mail`, `moderation …`, `quarantine …`, `outbox …`, `case reply`."""

from secdesk.cli.common import CASE_HELP, case_arg, positive_int, subcommands


def mail(p):
    p.add_argument(
        "--smtp",
        default="127.0.0.1:8025",
        metavar="HOST:PORT",
        help="where to listen (default: 127.0.0.1:8025)",
    )
    p.add_argument("--lmtp", action="store_true", help="speak LMTP (behind Postfix or Exim)")
    p.set_defaults(handler="mail:daemon")


def moderation(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="mail held for moderation in your projects")
    p.set_defaults(handler="mail:moderation_list")
    p = sub.add_parser("show", help="a held mail, with why it was held")
    p.add_argument("id", type=positive_int, metavar="ID", help="the number in the list")
    p.set_defaults(handler="mail:moderation_show")
    p = sub.add_parser("approve", help="the report becomes a case and reaches every member")
    p.add_argument("id", type=positive_int, metavar="ID", help="the number in the list")
    p.add_argument(
        "--as-reporter",
        action="store_true",
        help="a held post whose reply address stands for nobody now: the reporter wrote it",
    )
    p.set_defaults(handler="mail:moderation_approve")
    p = sub.add_parser("reject", help="reject; the sender is told the reason")
    p.add_argument("id", type=positive_int, metavar="ID", help="the number in the list")
    p.add_argument("--reason", required=True, help="why; - for stdin, @FILE for a file")
    p.set_defaults(handler="mail:moderation_reject")
    p = sub.add_parser("spam", help="discard as spam: no reply")
    p.add_argument("id", type=positive_int, metavar="ID", help="the number in the list")
    p.set_defaults(handler="mail:moderation_spam")


def quarantine(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="the mail in quarantine in your projects")
    p.set_defaults(handler="mail:quarantine_list")
    p = sub.add_parser("show", help="a quarantined mail, with why it is there")
    p.add_argument("id", type=positive_int, metavar="ID", help="the number in the list")
    p.add_argument("--raw", action="store_true", help="print the message as received")
    p.set_defaults(handler="mail:quarantine_show")
    p = sub.add_parser("release", help="run the rules on it again")
    p.add_argument("id", type=positive_int, metavar="ID", help="the number in the list")
    p.set_defaults(handler="mail:quarantine_release")


def outbox(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="outgoing mail of the cases you may see, newest first")
    p.add_argument("--failed", action="store_true", help="only mail that could not be sent")
    p.add_argument("--case", help=f"only mail about this case: {CASE_HELP}")
    p.set_defaults(handler="mail:outbox_list")
    p = sub.add_parser("retry", help="send a failed mail again")
    p.add_argument("id", type=positive_int, metavar="ID", help="the number in the list")
    p.set_defaults(handler="mail:outbox_retry")


def case_reply(parser):
    """`case reply`, under `case` (made by cases.py)."""
    p = subcommands(parser).add_parser(
        "reply", help="reply on a case: to the team and the reporter"
    )
    case_arg(p)
    p.add_argument("--body", required=True, help="the text; - for stdin, @FILE for a file")
    p.add_argument("--subject", default="", help="the subject line")
    p.add_argument("--internal", action="store_true", help="members only, not the reporter")
    p.set_defaults(handler="mail:case_reply")
