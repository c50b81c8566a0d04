"""security.txt's Expires (RFC 9116 section 2.5.5), stored rather than computed
on each request: the file then reads the same until it is renewed, which is
what lets it be signed once and served signed. The worker renews it a month
before it lapses, so a reader never meets an expired file."""

from datetime import datetime, timedelta

from django.utils import timezone

from secdesk.advisories.models import SecurityContact
from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.actions.common import atomic
from secdesk.teams.models import Project

RENEW_BEFORE = timedelta(days=30)


def expires_of(contact: SecurityContact) -> datetime:
    """The stored Expires. Before the worker first stores one: the project's
    term counted from today's midnight, which stays the same all day."""
    if contact.expires_at is not None:
        return contact.expires_at
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=contact.expires_days)


def _due(contact: SecurityContact, at: datetime) -> bool:
    return contact.expires_at is None or contact.expires_at - at <= RENEW_BEFORE


def do_renew_security_txt(project: Project, *, acting=None) -> SecurityContact:
    """Set a new Expires, the project's term from now (to the second). Done by
    the worker (`acting` None) when it is due."""
    with atomic():
        contact, _ = SecurityContact.objects.select_for_update().get_or_create(project=project)
        before = contact.expires_at
        contact.expires_at = timezone.now().replace(microsecond=0) + timedelta(
            days=contact.expires_days
        )
        contact.save(update_fields=["expires_at"])
        record(
            acting,
            AuditEvent.SECURITY_CONTACT_CHANGED,
            project=project,
            expires_before=before.isoformat() if before else None,
            expires=contact.expires_at.isoformat(),
        )
    return contact


def renew_due() -> list[str]:
    """Renew every project's Expires that is missing or lapses within a month;
    the slugs of those renewed."""
    at = timezone.now()
    contacts = {c.project_id: c for c in SecurityContact.objects.all()}
    renewed = []
    for project in Project.objects.order_by("slug"):
        contact = contacts.get(project.pk)
        if contact is None or _due(contact, at):
            do_renew_security_txt(project)
            renewed.append(project.slug)
    return renewed
