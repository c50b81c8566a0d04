"""Issuing and revoking capabilities: the reporter's private link and the
reply addresses, each bound to one case and one person (`Capability`).

Whether a token still admits its holder is decided in the access module
(`secdesk.teams.access.capability_holder`), not here.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from secdesk.cases.models import Capability


def tokens_for(case, people, kind: str = Capability.Kind.REPLY) -> dict[int, str]:
    """Each person's live token of `kind` for the case (person id → token),
    issued for those who have none yet. Inside the caller's transaction; one
    read and one write for any number of people, as a post to a whole team
    needs."""
    wanted = {person.pk for person in people}
    if not wanted:
        return {}
    found = _live(case, wanted, kind)
    missing = wanted - found.keys()
    if missing:
        at = timezone.now()
        try:
            # A savepoint: a concurrent action that issued the same person's
            # token first meets the unique constraint, and its token is used.
            with transaction.atomic():
                Capability.objects.bulk_create(
                    Capability(case=case, person_id=pk, kind=kind, created_at=at)
                    for pk in sorted(missing)
                )
        except IntegrityError:
            pass
        found |= _live(case, missing, kind)
    return found


def _live(case, person_ids, kind: str) -> dict[int, str]:
    return dict(
        Capability.objects.filter(
            case=case, person_id__in=person_ids, kind=kind, revoked_at__isnull=True
        ).values_list("person_id", "token")
    )


def reply_token(case, person) -> str:
    return tokens_for(case, [person])[person.pk]


def reporter_link_token(case) -> str:
    """The reporter's private link token (issued if the case has none live)."""
    return tokens_for(case, [case.reporter], Capability.Kind.LINK)[case.reporter_id]


def revoke_reporter_capabilities(case) -> int:
    """The reporter's link and every reply address they were sent stop
    admitting anyone: for a link that leaked. Inside the caller's transaction."""
    return Capability.objects.filter(
        case=case, person_id=case.reporter_id, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
