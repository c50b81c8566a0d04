"""`secdesk account key …`: the OpenPGP keys that make signed mail yours."""

from secdesk.cli.common import acting, read_text


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
