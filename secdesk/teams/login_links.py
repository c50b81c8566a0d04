"""One-time login links: how the first admin gets in, and how a member can be let in
without a password being sent anywhere."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from secdesk.teams.models import LoginLink


class LinkRefused(Exception):
    """The link cannot log anyone in; `str(err)` says why, in words for the visitor."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_login_link(user, *, minutes: int = 60, site: str | None = None) -> str:
    """A new link that logs `user` in once within `minutes`, as an absolute URL
    on the site's address, or on `site`."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    LoginLink.objects.create(
        user=user,
        token_hash=_hash(token),
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    return (site or settings.SITE_URL) + reverse("login_once", args=[token])


def usable_login_link(token: str) -> LoginLink:
    """The link for `token` if it can still log in, without using it up."""
    link = LoginLink.objects.select_related("user").filter(token_hash=_hash(token)).first()
    if link is None or not link.user.is_active:
        raise LinkRefused("unknown", "This login link is not valid.")
    if link.used_at is not None:
        raise LinkRefused("used", "This login link has already been used.")
    if link.expires_at <= timezone.now():
        raise LinkRefused("expired", "This login link has expired.")
    return link


def redeem_login_link(token: str):
    """Use up the link for `token` and return its user."""
    link = usable_login_link(token)
    # Two requests may present the same token at once. The conditional update
    # lets exactly one of them mark it used, on SQLite and PostgreSQL alike.
    now = timezone.now()
    taken = LoginLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    if not taken:
        raise LinkRefused("used", "This login link has already been used.")
    return link.user
