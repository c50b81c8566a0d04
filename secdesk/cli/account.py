"""`secdesk account key …`: the OpenPGP keys that make signed mail yours."""

from secdesk.cli.common import acting, read_text


def register(commands):
    account = commands.add_parser("account", help="your own account")
    sub = account.add_subparsers(dest="what", metavar="WHAT", required=True)
    key = sub.add_parser("key", help="your OpenPGP keys")
    actions = key.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = actions.add_parser("add", help="bind a public key to you")
    p.add_argument("file", metavar="FILE", help="the armoured public key; - for standard input")
    p.set_defaults(handler=add)
    p = actions.add_parser("replace", help="put a new key in place of one of yours")
    p.add_argument("fingerprint", metavar="FPR", help="the key's fingerprint")
    p.add_argument("file", metavar="FILE", help="the armoured public key; - for standard input")
    p.set_defaults(handler=replace)
    p = actions.add_parser("list", help="your keys, with when each expires")
    p.set_defaults(handler=list_keys)
    p = actions.add_parser("remove", help="unbind one of your keys")
    p.add_argument("fingerprint", metavar="FPR", help="the key's fingerprint")
    p.set_defaults(handler=remove)


def _armoured(value: str) -> str:
    return read_text(value if value == "-" else "@" + value)


def _row(key) -> dict:
    return {
        "fingerprint": key.fingerprint,
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "removed_at": key.removed_at,
    }


def _expiry(key) -> str:
    return f"expires {key.expires_at:%Y-%m-%d}" if key.expires_at else "does not expire"


def add(args, out):
    from secdesk.teams.keys import do_add_member_key

    key = do_add_member_key(_armoured(args.file), acting=acting(args))
    out.emit(_row(key), f"key {key.fingerprint} added ({_expiry(key)})")


def replace(args, out):
    from secdesk.teams.keys import do_replace_member_key

    key = do_replace_member_key(args.fingerprint, _armoured(args.file), acting=acting(args))
    out.emit(_row(key), f"key {key.fingerprint} in place of {args.fingerprint} ({_expiry(key)})")


def list_keys(args, out):
    from secdesk.teams.keys import live_keys

    keys = list(live_keys(acting(args)))
    out.emit(
        [_row(k) for k in keys],
        "\n".join(f"{k.fingerprint}\t{_expiry(k)}" for k in keys) or "no keys",
    )


def remove(args, out):
    from secdesk.teams.keys import do_remove_member_key

    key = do_remove_member_key(args.fingerprint, acting=acting(args))
    out.emit(_row(key), f"key {key.fingerprint} removed")
