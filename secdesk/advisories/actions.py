"""CVE ids and publication."""

import re

from django.db import IntegrityError

from secdesk.advisories.models import CVE_ID_PATTERN, CveId, CveState
from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.actions.common import atomic, lock_case, lock_embargo, now
from secdesk.cases.actions.embargo import exit_embargo
from secdesk.cases.embargo_machine import IN_FORCE
from secdesk.errors import BadInput, NotAllowed, PolicyRefused, Refused
from secdesk.fixes import mirror
from secdesk.fixes.verify import verify_case
from secdesk.teams.access import has_role, require_role
from secdesk.teams.models import Person, Role


def do_assign_cve(case, *, cve_id: str, acting: Person) -> CveId:
    """Give the case a CVE id: one from the project's pool, or one the acting member
    (usually a vendor security engineer who is a CNA) allocated (§2.8)."""
    cve_id = cve_id.strip().upper()
    if not re.fullmatch(CVE_ID_PATTERN, cve_id):
        raise BadInput(f"malformed CVE id {cve_id!r}: e.g. CVE-2026-12345")
    with atomic():
        case = lock_case(case)
        require_role(acting, case.project)
        if case.is_security_issue is not True:
            raise Refused(f"CVE: case #{case.pk} has not been triaged as a security issue")
        cve = CveId.objects.select_for_update().filter(cve_id=cve_id).first()
        if cve is not None and (
            cve.project_id != case.project_id or cve.state != CveState.RESERVED
        ):
            owner = f"case #{cve.case_id}" if cve.case_id else f"project {cve.project.slug}"
            raise Refused(f"CVE: {cve_id} is already {cve.state} ({owner})")
        at = now()
        if cve is None:
            cve = CveId(project=case.project, cve_id=cve_id, allocated_by=acting)
        cve.state, cve.case, cve.assigned_at = CveState.ASSIGNED, case, at
        try:
            cve.save()
        except IntegrityError:
            raise Refused(f"CVE: {cve_id} was just assigned elsewhere") from None
        record(
            acting,
            AuditEvent.CVE_ASSIGNED,
            case=case,
            cve=cve_id,
            allocated_by=cve.allocated_by.email if cve.allocated_by else None,
        )
    return cve


def publication_problems(case, *, fetch: bool = False) -> tuple[list[str], list[str]]:
    """What stands between the case and its publication, as one-line reasons:
    those nothing overrides, and the fix problems an admin may override (§2.9).

    With repositories configured the fixes are verified from git (`fetch` brings
    the mirrors up to date first); without, a recorded fix is all we can check.
    """
    blocking = []
    if case.is_security_issue is not True:
        blocking.append("it has not been triaged as a security issue")
    if not case.cve_ids.exists():
        blocking.append("it has no CVE id (§2.8)")
    if case.project.repositories.exists():
        fixes = [str(problem) for problem in verify_case(case, fetch=fetch)]
    elif not case.fixes.exists() and not case.not_affected.exists():
        fixes = ["no fix is recorded (§2.9)"]
    else:
        fixes = []
    return blocking, fixes


def do_publish_case(case, *, acting: Person, end_embargo: bool = False, override_reason: str = ""):
    """Make the case public: the embargo ends, the facts and CVE ids say so.

    Publishing while the embargo is in force is a team decision and must be
    asked for (`end_embargo`). Missing fixes block publication unless an admin
    overrides with a reason, which the audit record keeps.
    """
    for repository in case.project.repositories.all():
        # Fetch before the transaction: the network must not hold the case's lock.
        mirror.update(repository)
    with atomic():
        case = lock_case(case)
        require_role(acting, case.project)
        if case.published_at is not None:
            raise Refused(
                f"case #{case.pk} was already published on {case.published_at:%Y-%m-%d %H:%M} UTC"
            )
        if case.state != "accepted":
            raise Refused(
                f"publish: case #{case.pk} is {case.state}; only an accepted case is published"
            )
        blocking, overridden = publication_problems(case)
        if blocking:
            raise PolicyRefused(
                f"publish: case #{case.pk} cannot be published: {'; '.join(blocking)}"
            )
        if overridden:
            if not override_reason.strip():
                raise PolicyRefused(
                    f"publish: case #{case.pk} cannot be published: "
                    f"{'; '.join(overridden)} (an admin may override with a reason)"
                )
            if not has_role(acting, case.project, Role.ADMIN):
                raise NotAllowed("publish: only an admin may override a missing fix")
        embargo = lock_embargo(case)
        at = now()
        if embargo.state in IN_FORCE:
            if not end_embargo:
                raise PolicyRefused(
                    f"publish: the embargo of case #{case.pk} is in force until "
                    f"{embargo.end_at:%Y-%m-%d %H:%M} UTC; publication happens at its end, "
                    "or ask to end it now by team decision"
                    if embargo.end_at
                    else f"publish: case #{case.pk} has an embargo proposal open; decide it first"
                )
            exit_embargo(embargo, reason="decision: published", acting=acting, at=at)
        case.published_at = at
        case.public_at = case.public_at or at
        case.fix_published_at = case.fix_published_at or at
        case.save(update_fields=["published_at", "public_at", "fix_published_at"])
        case.cve_ids.update(state=CveState.PUBLISHED)
        record(
            acting,
            AuditEvent.CASE_PUBLISHED,
            case=case,
            cves=list(case.cve_ids.values_list("cve_id", flat=True)),
            override=override_reason.strip(),
            overridden=overridden,
        )
    return case
