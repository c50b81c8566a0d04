"""Restricting a case to some members of the team (e.g. only the affected vendors)."""

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.access import require_case
from secdesk.cases.actions.common import atomic, lock_case
from secdesk.errors import BadInput
from secdesk.teams.access import active_membership
from secdesk.teams.models import Person, Role


def do_restrict_case(case, *, emails: list[str], acting: Person):
    """Only these members see the case and receive its mail; an empty list lifts the
    restriction. The acting admin stays in, so a case is never restricted to nobody
    who can manage it."""
    with atomic():
        case = lock_case(case)
        require_case(acting, case, Role.ADMIN)
        members = []
        for email in emails:
            person = Person.objects.filter(email__iexact=email.strip()).first()
            if person is None or active_membership(person, case.project) is None:
                raise BadInput(f"{email} is not an active member of {case.project.slug}")
            members.append(person)
        if members and acting not in members:
            members.append(acting)
        case.restricted_to.set(members)
        record(
            acting, AuditEvent.CASE_RESTRICTED, case=case, members=sorted(p.email for p in members)
        )
    return case
