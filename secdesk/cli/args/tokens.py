"""The arguments of `secdesk token …`: personal API tokens."""


def token(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("create", help="a new token; shown once")
    p.add_argument("name", help="what uses it")
    p.add_argument(
        "--scope",
        default="read",
        choices=["read", "write"],
        help="read, or read and write (default: read)",
    )
    p.set_defaults(handler="tokens:create")
    p = sub.add_parser("list", help="your tokens")
    p.set_defaults(handler="tokens:list_tokens")
    p = sub.add_parser("revoke", help="revoke a token by its prefix")
    p.add_argument("prefix", help="the start of the token, as listed")
    p.set_defaults(handler="tokens:revoke")
