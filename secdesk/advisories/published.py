"""The published advisories, as the public sees them: only finished publications."""

from secdesk.advisories.models import Publication
from secdesk.errors import NotFound


def published():
    return (
        Publication.objects.filter(finished_at__isnull=False)
        .select_related("case__project")
        .order_by("-finished_at", "-pk")
    )


def documents_of(advisory_id: str) -> dict:
    for publication in published().filter(case__advisory__public_id=advisory_id):
        return publication.documents
    raise NotFound(f"no published advisory {advisory_id}")
