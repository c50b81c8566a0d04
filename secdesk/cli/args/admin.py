"""The arguments of `secdesk admin …`: site administrators and login links (for the operator)."""


def admin(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("create", help="create a site administrator and print a one-time login link")
    p.add_argument("email", help="the person's address")
    p.add_argument("--name", default="", help="the administrator's name")
    p.set_defaults(handler="admin:create")
    p = sub.add_parser("login-link", help="print a one-time login link for a person")
    p.add_argument("email", help="the person's address")
    p.set_defaults(handler="admin:login_link")
    p = sub.add_parser(
        "reset-factors",
        help="remove a member's password, authenticator, passkeys and recovery codes "
        "(they are told by mail), for one who lost their second factor",
    )
    p.add_argument("email", help="the person's address")
    p.set_defaults(handler="admin:reset_factors")
