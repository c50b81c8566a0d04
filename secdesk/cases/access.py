"""Who may see a case and hear of it. A case may be restricted to some members
(e.g. the affected vendors): then only they see it, whatever their role. A
reporter sees only their own case, through its private link. The roles and
memberships these rules build on are in secdesk/teams/access.py.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from secdesk.cases.models import Capability, Case
from secdesk.errors import NotFound, Refused
from secdesk.lib.case_reference import parse_reference
from secdesk.teams.access import has_role, projects_of, require_role
from secdesk.teams.models import Membership, Person, Role


def visible_cases(person: Person | None):
    return Case.objects.filter(seen_by(person))


def seen_by(person: Person | None, case: str = "") -> Q:
    """That a case is one `person` may see: of one of their projects, and not
    restricted to others. `case` is the lookup from the rows filtered to their
    case ("embargo__case"; the row itself when empty).

    Asked of each row (EXISTS), not as "among these projects" or "among every
    case they may see": the database then finds the rows by what else the
    query asks (a state, an embargo's end, the newest first) and checks each
    it reads, instead of reading every case of the person's projects first
    (at 10,000 cases, 70 ms for the API's first page, 1 ms this way). Each
    case comes once, without DISTINCT."""
    if person is None:
        return Q(pk__in=[])
    at = f"{case}__" if case else ""
    theirs = projects_of(person).filter(pk=OuterRef(f"{at}project_id"))
    restriction = Case.restricted_to.through.objects.filter(case_id=OuterRef(f"{at}pk"))
    return Exists(theirs) & (~Exists(restriction) | Exists(restriction.filter(person=person)))


def of_visible_cases(person: Person | None) -> Q:
    """A filter for rows that may be about a case (audit records, outgoing mail):
    those about no case, and those about a case the person may see. A restricted
    case's rows stay hidden from the members left out of it, admins included."""
    about = Case.objects.filter(pk=OuterRef("case_id")).filter(seen_by(person))
    return Q(case_id__isnull=True) | Exists(about)


def can_see_case(person: Person | None, case) -> bool:
    if not has_role(person, case.project):
        return False
    restricted = case.restricted_to.all()
    return not restricted.exists() or restricted.filter(pk=person.pk).exists()


def require_case(person: Person | None, case, role: Role = Role.MEMBER) -> Membership:
    """The acting person's membership, if they may act on this case. To a member
    a case they may not see is refused as one that does not exist, before any
    rule about their role could describe it."""
    require_role(person, case.project)
    if not can_see_case(person, case):
        raise no_case(case.reference)
    return require_role(person, case.project, role)


def case_audience(case) -> QuerySet[Person]:
    """The members who receive the case's mail: active, and within its restriction."""
    members = Person.objects.filter(
        memberships__in=Membership.objects.active().filter(project=case.project)
    )
    restricted = case.restricted_to.all()
    if restricted.exists():
        members = members.filter(pk__in=restricted.values("pk"))
    return members.distinct()


def capability_admits(capability) -> bool:
    """Whether a capability (`secdesk.cases.models.Capability`) still stands
    for its holder: not revoked, and the holder still has their access — the
    case's reporter (`reporter_admitted`), or a member who may see the case. A
    removed member, one left out by a restriction, or one whose consent lapsed
    is refused at once, whatever token they kept."""
    return capability.pk in _admitting([capability])


def reporter_admitted(case) -> bool:
    """Whether the case's reporter still hears of it and may answer into it.
    A reporter from outside always does. A reporter who is, or was, on the
    project's team (a member who filed the case) does only while they may see
    the case: removed, or left out by a restriction, they get nothing more."""
    if case.reporter_id is None:
        return False
    on_team = Membership.objects.filter(person_id=case.reporter_id, project_id=case.project_id)
    if not on_team.exists():
        return True
    return can_see_case(case.reporter, case)


def _admitting(capabilities) -> set[int]:
    """The ids of the capabilities that admit their holder (`capability_admits`),
    in two queries for any number of them."""
    checked = []
    for capability in capabilities:
        if capability.revoked_at is not None:
            continue
        case = capability.case
        reporter = case.reporter_id is not None and capability.person_id == case.reporter_id
        if reporter or capability.kind == Capability.Kind.REPLY:
            checked.append((capability, reporter))
    if not checked:
        return set()
    memberships = Membership.objects.filter(
        person_id__in={c.person_id for c, _ in checked},
        project_id__in={c.case.project_id for c, _ in checked},
    )
    on_team = set(memberships.values_list("person_id", "project_id"))
    active = set(memberships.active().values_list("person_id", "project_id"))
    restricted: dict[int, set[int]] = {}
    for case_id, person_id in Case.restricted_to.through.objects.filter(
        case_id__in={c.case_id for c, _ in checked}
    ).values_list("case_id", "person_id"):
        restricted.setdefault(case_id, set()).add(person_id)
    admitted = set()
    for capability, reporter in checked:
        key = (capability.person_id, capability.case.project_id)
        within = restricted.get(capability.case_id)
        if (reporter and key not in on_team) or (
            key in active and (within is None or capability.person_id in within)
        ):
            admitted.add(capability.pk)
    return admitted


def capabilities_named(tokens, kind: str) -> dict:
    """The capabilities of `kind` that `tokens` name (token → capability, with
    its case and person), live or not, each marked `admits` (`capability_admits`):
    the mail intake's lookup for a batch, in three queries."""
    wanted = {t.lower() for t in tokens if t and len(t) == 32}
    if not wanted:
        return {}
    found = list(
        Capability.objects.filter(token__in=wanted, kind=kind).select_related(
            "case__project", "case__reporter", "person"
        )
    )
    admitted = _admitting(found)
    for capability in found:
        capability.admits = capability.pk in admitted
    return {capability.token: capability for capability in found}


def capability_holder(token: str, kind: str):
    """The live capability of `kind` behind `token` (with its case and person),
    or None: unknown, revoked, or its holder has lost their access."""
    capability = capabilities_named([token], kind).get((token or "").lower())
    return capability if capability is not None and capability.admits else None


def no_case(reference) -> NotFound:
    """The one refusal for a case that does not exist and for one the person may
    not see: the same words, so that the answer tells neither from the other."""
    return NotFound(f"no case {reference} that you may see")


# What the case page, the API and the CLI read of a case besides its own row.
CASE_RELATED = (
    "project",
    "project__policy",
    "reporter",
    "duplicate_of",
    "embargo",
    "publication",
)


def visible_case(person: Person | None, reference, *related: str):
    """The case behind a reference a person named, the one lookup of web, API
    and CLI: `example#8`, or a bare `8` when only one case they may see has that
    number; with `related` selected along. `no_case` when it does not exist or they may not
    see it; a bare number that fits several of their cases is refused with
    their references, so that they choose."""
    slug, number = parse_reference(reference)
    found = visible_cases(person).filter(number=number)
    if slug is not None:
        found = found.filter(project__slug=slug)
    found = list(found.select_related(*CASE_RELATED, *related).order_by("project__slug")[:10])
    if not found:
        raise no_case(f"{slug}#{number}" if slug else f"#{number}")
    if len(found) > 1:
        raise Refused(
            f"#{number} names more than one case you may see: "
            f"{', '.join(case.reference for case in found)}; give the project too"
        )
    return found[0]


def visible_case_ids(person: Person | None, cases) -> set[int]:
    """Which of these case ids the person may see: to name a case in a listing
    (a CVE id's case, a suggestion for held mail) only to those who may."""
    ids = {pk for pk in cases if pk is not None}
    if not ids:
        return set()
    return set(visible_cases(person).filter(pk__in=ids).values_list("pk", flat=True))


def case_admins(case) -> QuerySet[Person]:
    """The admins among the case's audience: those who hear what needs an admin
    about it (a report held too long, an embargo that expired unpublished)."""
    return case_audience(case).filter(
        memberships__in=Membership.objects.current().filter(project=case.project, role=Role.ADMIN)
    )
