"""The published advisories, as the public sees them: only finished publications,
each as its latest finished revision says."""

from django.db.models import Prefetch

from secdesk.advisories.facts import gather
from secdesk.advisories.models import Publication, Revision
from secdesk.advisories.render import render_documents
from secdesk.errors import NotFound


def published():
    finished = Revision.objects.filter(finished_at__isnull=False).order_by("number")
    return (
        Publication.objects.filter(finished_at__isnull=False)
        .select_related("case__project")
        .prefetch_related(Prefetch("revisions", queryset=finished, to_attr="finished_revisions"))
        .order_by("-finished_at", "-pk")
    )


def finished():
    """The finished publications, newest first, without their documents: for
    listing them (`facts_of`), a page at a time."""
    return (
        Publication.objects.filter(finished_at__isnull=False)
        .order_by("-finished_at", "-pk")
        .values_list("pk", flat=True)
    )


def facts_of(publication_ids) -> list[dict]:
    """The facts of each publication as served now (`current`), in the order given."""
    return part_of(publication_ids, "facts")


def part_of(publication_ids, part: str) -> list:
    """One part of each publication's documents as served now (`current`):
    its facts, or one format. In the order given, in two queries, and only
    that part read of each document (a page of an index must not parse every
    advisory's five formats)."""
    ids = list(publication_ids)
    parts = dict(Publication.objects.filter(pk__in=ids).values_list("pk", f"documents__{part}"))
    revised = (
        Revision.objects.filter(publication_id__in=ids, finished_at__isnull=False)
        .order_by("publication_id", "number")
        .values_list("publication_id", f"documents__{part}")
    )
    # The latest finished revision's, where there is one.
    parts.update(revised)
    return [parts[pk] for pk in ids]


def current(publication: Publication) -> dict:
    """The documents served now: the latest finished revision's, or the publication's."""
    revisions = getattr(publication, "finished_revisions", None)
    if revisions is None:
        revisions = list(publication.revisions.filter(finished_at__isnull=False))
    return revisions[-1].documents if revisions else publication.documents


def documents_of(advisory_id: str) -> dict:
    for publication in published().filter(case__advisory__public_id=advisory_id):
        return current(publication)
    raise NotFound(f"no published advisory {advisory_id}")


def case_documents(case) -> dict:
    """The case's advisory for its team: once rendered for publication, the
    documents its latest revision stored (what was announced); before, a
    preview from the facts as they stand."""
    publication = Publication.objects.filter(case=case, rendered_at__isnull=False).first()
    if publication is not None:
        return current(publication)
    return render_documents(case, gather(case))
