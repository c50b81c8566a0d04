"""A member's private calendar feed of embargo ends: make (or remake), revoke,
and find the member behind a feed URL. Only the token's SHA-256 is stored, as
for login links: a copy of the database opens no one's feed."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.errors import NotAllowed, Refused
from secdesk.teams.access import is_team_member
from secdesk.teams.models import Person
from secdesk.web.models import CalendarFeed


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def do_make_calendar_feed(*, acting: Person) -> str:
    """A new feed token for the member, replacing any earlier one (whose URL
    stops working at once). Returns the token: it is not stored, only shown."""
    if not is_team_member(acting):
        raise NotAllowed("a calendar feed is for members of a security team")
    token = secrets.token_urlsafe(32)
    with transaction.atomic(durable=True):
        replaced, _ = CalendarFeed.objects.filter(person=acting).delete()
        CalendarFeed.objects.create(
            person=acting, token_hash=_hash(token), created_at=timezone.now()
        )
        record(acting, AuditEvent.CALENDAR_FEED_CREATED, replaced=bool(replaced))
    return token


def do_revoke_calendar_feed(*, acting: Person) -> None:
    with transaction.atomic(durable=True):
        revoked, _ = CalendarFeed.objects.filter(person=acting).delete()
        if not revoked:
            raise Refused("you have no calendar feed to revoke")
        record(acting, AuditEvent.CALENDAR_FEED_REVOKED)


def feed_person(token: str) -> Person | None:
    if not token or len(token) > 100:
        return None
    feed = CalendarFeed.objects.select_related("person").filter(token_hash=_hash(token)).first()
    return feed.person if feed is not None else None
