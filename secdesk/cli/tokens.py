"""`secdesk token …`: personal API tokens."""

from secdesk.cli.common import acting


def create(args, out):
    from secdesk.teams.tokens import do_create_api_token

    token, raw = do_create_api_token(name=args.name, scope=args.scope, acting=acting(args))
    out.emit(
        {"prefix": token.prefix, "token": raw, "scope": token.scope},
        f"{raw}\n(shown once; revoke with: secdesk token revoke {token.prefix})",
    )


def list_tokens(args, out):
    from secdesk.teams.models import ApiToken

    rows = [
        {
            "prefix": t.prefix,
            "name": t.name,
            "scope": t.scope,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "revoked_at": t.revoked_at,
        }
        for t in ApiToken.objects.filter(person=acting(args))
    ]
    out.emit(
        rows,
        "\n".join(
            f"{r['prefix']}…\t{r['scope']}\t{r['name']}" + ("\trevoked" if r["revoked_at"] else "")
            for r in rows
        )
        or "no tokens",
    )


def revoke(args, out):
    from secdesk.teams.tokens import do_revoke_api_token

    token = do_revoke_api_token(prefix=args.prefix, acting=acting(args))
    out.emit(
        {"prefix": token.prefix, "revoked_at": token.revoked_at}, f"token {token.prefix}… revoked"
    )
