"""Who may do and see what. Every view, API call, export, mail distribution and
CLI action asks here.

A person acts in a project through an active membership: not removed, and bound
by the current embargo policy (consent given; a member whose consent lapsed
with a policy change sees nothing until they accept the new version). Roles
rank member < moderator < admin; a higher role may do what a lower one may. A
case's own rules (a restriction to some members, the reporter's link) are in
secdesk/cases/access.py.
"""

from django.db.models import QuerySet

from secdesk.errors import NotAllowed
from secdesk.teams.models import ROLE_RANK, Consent, Membership, Person, Project, Role


def active_membership(person: Person | None, project: Project) -> Membership | None:
    if person is None:
        return None
    return Membership.objects.active().filter(person=person, project=project).first()


def has_role(person: Person | None, project: Project, role: Role = Role.MEMBER) -> bool:
    return holds(active_membership(person, project), role)


def holds(membership: Membership | None, role: Role) -> bool:
    """Whether an active membership (or None) gives `role` or a higher one."""
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


def is_team_member(person: Person | None) -> bool:
    """On any team, in any consent state: someone who may come to see embargoed
    material, and so must use a second factor."""
    if person is None:
        return False
    return (
        Membership.objects.current()
        .filter(person=person)
        .exclude(consent=Consent.DECLINED)
        .exists()
    )


def projects_of(person: Person | None, role: Role = Role.MEMBER) -> QuerySet[Project]:
    if person is None:
        return Project.objects.none()
    ranks = [r for r, rank in ROLE_RANK.items() if rank >= ROLE_RANK[role]]
    memberships = Membership.objects.active().filter(person=person, role__in=ranks)
    return Project.objects.filter(pk__in=memberships.values("project_id"))


def is_site_admin(person: Person | None) -> bool:
    return person is not None and person.user is not None and person.user.is_superuser


def project_admins(project: Project) -> QuerySet[Person]:
    """The project's active admins."""
    memberships = Membership.objects.active().filter(project=project, role=Role.ADMIN)
    return Person.objects.filter(memberships__in=memberships).distinct()
