"""The token person's own OpenPGP keys: mail signed with one is theirs."""

from datetime import datetime

from ninja import Router, Schema

from secdesk.api.auth import require_write
from secdesk.api.schemas import ERRORS
from secdesk.teams.keys import (
    do_add_member_key,
    do_remove_member_key,
    do_replace_member_key,
    live_keys,
)

router = Router(tags=["account"])


class Key(Schema):
    fingerprint: str
    created_at: datetime
    expires_at: datetime | None
    removed_at: datetime | None


class NewKey(Schema):
    armoured: str
    replaces: str = ""


@router.get("/keys", response={200: list[Key], **ERRORS}, summary="Your OpenPGP keys")
def keys(request):
    return list(live_keys(request.person))


@router.post(
    "/keys",
    response={200: Key, **ERRORS},
    summary="Bind a public key to you, beside the others or in place of `replaces`",
)
def add_key(request, body: NewKey):
    require_write(request)
    if body.replaces:
        return do_replace_member_key(body.replaces, body.armoured, acting=request.person)
    return do_add_member_key(body.armoured, acting=request.person)


@router.delete(
    "/keys/{fingerprint}", response={200: Key, **ERRORS}, summary="Unbind one of your keys"
)
def remove_key(request, fingerprint: str):
    require_write(request)
    return do_remove_member_key(fingerprint, acting=request.person)
