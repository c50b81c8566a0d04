"""The arguments of `secdesk account key …`: the OpenPGP keys that make signed mail yours."""


def account(parser):
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    key = sub.add_parser("key", help="your OpenPGP keys")
    actions = key.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = actions.add_parser("add", help="bind a public key to you")
    p.add_argument("file", metavar="FILE", help="the armoured public key; - for standard input")
    p.set_defaults(handler="account:add")
    p = actions.add_parser("replace", help="put a new key in place of one of yours")
    p.add_argument("fingerprint", metavar="FPR", help="the key's fingerprint")
    p.add_argument("file", metavar="FILE", help="the armoured public key; - for standard input")
    p.set_defaults(handler="account:replace")
    p = actions.add_parser("list", help="your keys, with when each expires")
    p.set_defaults(handler="account:list_keys")
    p = actions.add_parser("remove", help="unbind one of your keys")
    p.add_argument("fingerprint", metavar="FPR", help="the key's fingerprint")
    p.set_defaults(handler="account:remove")
