"""Personal API tokens: scoped, revocable, stored only as a hash."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.errors import BadInput, NotFound
from secdesk.teams.models import ApiToken, Person

PREFIX = "sdk_"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def do_create_api_token(
    *, name: str, scope: str = ApiToken.Scope.READ, acting: Person
) -> tuple[ApiToken, str]:
    """A new token for the acting person; the raw token is returned once, never stored."""
    if not name.strip():
        raise BadInput("name the token, e.g. after the script that uses it")
    if scope not in ApiToken.Scope.values:
        raise BadInput(f"unknown scope {scope!r}; scopes: {', '.join(ApiToken.Scope.values)}")
    raw = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic(durable=True):
        token = ApiToken.objects.create(
            person=acting,
            name=name.strip(),
            prefix=raw[:12],
            token_hash=_hash(raw),
            scope=scope,
            created_at=timezone.now(),
        )
        record(acting, AuditEvent.API_TOKEN_CREATED, token=token.prefix, scope=scope)
    return token, raw


def do_revoke_api_token(*, prefix: str, acting: Person) -> ApiToken:
    with transaction.atomic(durable=True):
        token = ApiToken.objects.filter(
            person=acting, prefix=prefix, revoked_at__isnull=True
        ).first()
        if token is None:
            raise NotFound(f"no active token {prefix} of {acting.email}")
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(acting, AuditEvent.API_TOKEN_REVOKED, token=prefix)
    return token


def authenticate(raw: str) -> ApiToken | None:
    """The live token for `raw`, or None: unknown, revoked, or its owner has no login."""
    if not raw or not raw.startswith(PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("person__user")
        .filter(token_hash=_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or token.person.user is None or not token.person.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token
