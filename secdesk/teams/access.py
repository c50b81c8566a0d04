"""Who may do and see what. Every view, API call, export and CLI action asks here.

A person acts in a project through an active membership: not removed, and
bound by the current embargo policy (consent given, not lapsed). Roles rank
member < moderator < admin; a higher role may do what a lower one may.
"""

from django.db.models import QuerySet

from secdesk.errors import NotAllowed
from secdesk.teams.models import ROLE_RANK, Consent, Membership, Person, Project, Role


def active_membership(person: Person | None, project: Project) -> Membership | None:
    if person is None:
        return None
    return (
        Membership.objects.filter(
            person=person, project=project, removed_at__isnull=True, consent=Consent.SIGNATORY
        )
        .select_related("project")
        .first()
    )


def has_role(person: Person | None, project: Project, role: Role = Role.MEMBER) -> bool:
    membership = active_membership(person, project)
    return membership is not None and ROLE_RANK[membership.role] >= ROLE_RANK[role]


def require_role(person: Person | None, project: Project, role: Role = Role.MEMBER) -> Membership:
    membership = active_membership(person, project)
    if membership is None:
        raise NotAllowed(f"{person or 'nobody'} is not an active member of {project.slug}")
    if ROLE_RANK[membership.role] < ROLE_RANK[role]:
        raise NotAllowed(
            f"this needs the {role} role in {project.slug}; {person} is {membership.role}"
        )
    return membership


def projects_of(person: Person | None) -> QuerySet[Project]:
    if person is None:
        return Project.objects.none()
    return Project.objects.filter(
        memberships__person=person,
        memberships__removed_at__isnull=True,
        memberships__consent=Consent.SIGNATORY,
    )


def visible_cases(person: Person | None):
    from secdesk.cases.models import Case

    return Case.objects.filter(project__in=projects_of(person))


def can_see_case(person: Person | None, case) -> bool:
    return has_role(person, case.project)
