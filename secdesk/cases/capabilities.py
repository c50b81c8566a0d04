"""Issuing and revoking capabilities: the reporter's private link and the
reply addresses, each bound to one case and one person (`Capability`).

Whether a token still admits its holder is decided in the access module
(`secdesk.cases.access.capability_holder`), not here.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from secdesk.cases.models import Capability

REPLY, LINK = Capability.Kind.REPLY, Capability.Kind.LINK


def tokens_for(case, people, kind: str = REPLY) -> dict[int, str]:
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


@dataclass
class Planned:
    """The tokens for mail about one case, read before the transaction that
    writes the mail: the live ones, and for whoever has none yet a new
    capability, unsaved, for that transaction to insert (`new`)."""

    live: dict[tuple[int, str], str]
    new: list[Capability] = field(default_factory=list)

    def __post_init__(self):
        self.tokens = {**self.live, **{(c.person_id, c.kind): c.token for c in self.new}}

    def reply(self, person_id: int) -> str:
        return self.tokens[(person_id, REPLY)]

    def link(self, person_id: int) -> str:
        return self.tokens[(person_id, LINK)]


def plan(case, replies, links=()) -> Planned:
    """A reply token for each person id in `replies`, a private link for each
    in `links`: one read for all of them."""
    wanted = {(pk, REPLY) for pk in replies} | {(pk, LINK) for pk in links}
    if not wanted:
        return Planned({})
    live = {
        (pk, kind): token
        for pk, kind, token in Capability.objects.filter(
            case=case, person_id__in={pk for pk, _ in wanted}, revoked_at__isnull=True
        ).values_list("person_id", "kind", "token")
        if (pk, kind) in wanted
    }
    at = timezone.now()
    new = [
        Capability(case=case, person_id=pk, kind=kind, created_at=at)
        for pk, kind in sorted(wanted - live.keys())
    ]
    return Planned(live, new)


def issued(case, replies, links=()) -> Planned:
    """`plan`, its new capabilities written now, inside the caller's transaction."""
    planned = plan(case, replies, links)
    if not planned.new:
        return planned
    try:
        # A savepoint: a concurrent action that issued one of these first
        # meets the unique constraint, and its token is used.
        with transaction.atomic():
            Capability.objects.bulk_create(planned.new)
    except IntegrityError:
        planned = plan(case, replies, links)
        Capability.objects.bulk_create(planned.new)
    return planned


def for_new_reporter(case, at) -> tuple[Capability, Capability]:
    """A reply address and a private link for the reporter of a case that is
    still being written, unsaved: inserted after the case, once its reporter
    is known (`take_reporter`)."""
    return (
        Capability(case=case, kind=REPLY, created_at=at),
        Capability(case=case, kind=LINK, created_at=at),
    )


def take_reporter(capability: Capability) -> None:
    capability.person = capability.case.reporter


def reply_token(case, person) -> str:
    return tokens_for(case, [person])[person.pk]


def reporter_link_token(case) -> str:
    """The reporter's private link token (issued if the case has none live)."""
    return tokens_for(case, [case.reporter], LINK)[case.reporter_id]


def reporter_url(token: str) -> str:
    """The reporter's private page: written into mail to the reporter only."""
    return settings.SITE_URL + reverse("reporter_case", args=[token])


def revoke_reporter_capabilities(case) -> int:
    """The reporter's link and every reply address they were sent stop
    admitting anyone: for a link that leaked. Inside the caller's transaction."""
    return Capability.objects.filter(
        case=case, person_id=case.reporter_id, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
