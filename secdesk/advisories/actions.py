"""CVE ids and the advisory: the team's actions on them."""

import re

from django.db import IntegrityError
from django.utils import timezone

from secdesk.advisories import credits, references
from secdesk.advisories.cwe import parse_cwes
from secdesk.advisories.models import CVE_ID_PATTERN, Advisory, CveId, CveState, Publication
from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.access import can_see_case, require_case
from secdesk.cases.actions.common import atomic, lock_case, now
from secdesk.errors import BadInput, NotAllowed, NotFound, Refused
from secdesk.teams.access import require_role
from secdesk.teams.models import Person, Project

__all__ = [
    "do_assign_cve",
    "do_assign_next_cve",
    "do_edit_advisory",
    "do_import_cve_ids",
    "do_publish_case",
    "do_release_cve",
    "publication_problems",
]

ADVISORY_FIELDS = ("title", "description", "impact", "cwe", "credits", "references")


def clean_cve_id(text: str) -> str:
    cve_id = text.strip().upper()
    if not re.fullmatch(CVE_ID_PATTERN, cve_id):
        raise BadInput(f"malformed CVE id {cve_id!r}: e.g. CVE-2026-12345")
    return cve_id


def _give(case, cve: CveId, acting: Person) -> CveId:
    """Assign `cve` to the locked case, inside the caller's transaction."""
    if case.is_security_issue is not True:
        raise Refused(f"CVE: case {case.reference} has not been triaged as a security issue")
    cve.state, cve.case, cve.assigned_at = CveState.ASSIGNED, case, now()
    try:
        cve.save()
    except IntegrityError:
        raise Refused(f"CVE: {cve.cve_id} was just assigned elsewhere") from None
    record(
        acting,
        AuditEvent.CVE_ASSIGNED,
        case=case,
        cve=cve.cve_id,
        allocated_by=cve.allocated_by.email if cve.allocated_by else None,
    )
    return cve


def _owner(cve: CveId, person: Person) -> str:
    """The case an id is assigned to, for a refusal: named only to those who
    may see that case."""
    if cve.case is None or not can_see_case(person, cve.case):
        return ""
    return f" (case {cve.case.reference})"


def do_assign_cve(case, *, cve_id: str, acting: Person) -> CveId:
    """Give the case a CVE id: one from the project's pool, or one the acting member
    (usually a vendor security engineer who is a CNA) allocated."""
    cve_id = clean_cve_id(cve_id)
    with atomic():
        case = lock_case(case)
        require_case(acting, case)
        if case.is_security_issue is not True:
            raise Refused(f"CVE: case {case.reference} has not been triaged as a security issue")
        cve = CveId.objects.select_for_update().filter(cve_id=cve_id).first()
        if cve is not None and cve.project_id != case.project_id:
            raise Refused(f"CVE: {cve_id} belongs to another project")
        if cve is not None and cve.state != CveState.RESERVED:
            raise Refused(f"CVE: {cve_id} is already {cve.state}{_owner(cve, acting)}")
        if cve is None:
            cve = CveId(project=case.project, cve_id=cve_id, allocated_by=acting)
        return _give(case, cve, acting)


def do_assign_next_cve(case, *, acting: Person) -> CveId:
    """Give the case the oldest id of the project's pool."""
    with atomic():
        case = lock_case(case)
        require_case(acting, case)
        cve = (
            CveId.objects.select_for_update()
            .filter(project=case.project, state=CveState.RESERVED)
            .order_by("reserved_at", "cve_id")
            .first()
        )
        if cve is None:
            raise Refused(
                f"CVE: the pool of {case.project.slug} is empty; import ids "
                "(secdesk cve pool import) or reserve some (secdesk cve reserve)"
            )
        return _give(case, cve, acting)


def do_import_cve_ids(
    project: Project, cve_ids: list[str], *, acting: Person, from_cve_services: bool = False
) -> list[CveId]:
    """Add ids the acting member (a CNA) reserved to the project's pool. An id the
    pool already holds is left as it is; one another project holds is refused."""
    wanted = sorted({clean_cve_id(c) for c in cve_ids if c.strip()})
    if not wanted:
        raise BadInput("no CVE ids given")
    with atomic():
        require_role(acting, project)
        held = {c.cve_id: c for c in CveId.objects.select_for_update().filter(cve_id__in=wanted)}
        elsewhere = sorted(c for c, cve in held.items() if cve.project_id != project.pk)
        if elsewhere:
            raise Refused(f"CVE: {', '.join(elsewhere)} belong to another project")
        at = now()
        added = [
            CveId.objects.create(
                project=project,
                cve_id=cve_id,
                allocated_by=acting,
                reserved_at=at,
                from_cve_services=from_cve_services,
            )
            for cve_id in wanted
            if cve_id not in held
        ]
        record(
            acting,
            AuditEvent.CVE_IDS_IMPORTED,
            project=project,
            cves=[c.cve_id for c in added],
            already_held=sorted(held),
            from_cve_services=from_cve_services,
        )
    return added


def _pool_id(cve_id: str, acting: Person) -> CveId:
    cve = CveId.objects.select_for_update().filter(cve_id=clean_cve_id(cve_id)).first()
    if cve is None:
        raise NotFound(f"CVE: no pool holds {cve_id}")
    require_role(acting, cve.project)
    return cve


def do_release_cve(cve_id: str, *, acting: Person) -> CveId:
    """Take an id off a case that has not been published: it goes back to the pool."""
    with atomic():
        cve = _pool_id(cve_id, acting)
        if cve.state != CveState.ASSIGNED:
            raise Refused(f"CVE: {cve.cve_id} is {cve.state}; only an assigned id is released")
        case = lock_case(cve.case_id)
        if not can_see_case(acting, case):
            # Refused without naming the case: it is not the acting member's to know.
            raise NotAllowed(
                f"CVE: {cve.cve_id} is assigned to a case you may not see; "
                "only those who may see it release its id"
            )
        if hasattr(case, "publication"):
            raise Refused(f"CVE: case {case.reference} is published; its {cve.cve_id} stays")
        cve.state, cve.case, cve.assigned_at = CveState.RESERVED, None, None
        cve.save(update_fields=["state", "case", "assigned_at"])
        record(acting, AuditEvent.CVE_RELEASED, case=case, cve=cve.cve_id)
    return cve


def mark_cve_rejected(cve_id: str, *, reason: str, acting: Person) -> CveId:
    """Record that an unused id is rejected (after CVE Services agreed, if it holds it)."""
    with atomic():
        cve = _pool_id(cve_id, acting)
        if cve.state != CveState.RESERVED:
            raise Refused(
                f"CVE: {cve.cve_id} is {cve.state}; only an unused id in the pool is rejected"
            )
        cve.state = CveState.REJECTED
        cve.save(update_fields=["state"])
        record(acting, AuditEvent.CVE_REJECTED, project=cve.project, cve=cve.cve_id, reason=reason)
    return cve


def do_edit_advisory(case, changes: dict[str, str], *, acting: Person) -> Advisory:
    """Write the advisory's text. Until publication it is embargoed like the case;
    after, an edit reaches the public when the advisory is amended."""
    unknown = set(changes) - set(ADVISORY_FIELDS)
    if unknown:
        raise BadInput(
            f"advisory: unknown field(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(ADVISORY_FIELDS)}"
        )
    changes = {field: value.strip() for field, value in changes.items()}
    if "cwe" in changes:
        changes["cwe"] = ", ".join(parse_cwes(changes["cwe"]))
    # Checked now, so that every format can rely on them later.
    credits.parse(changes.get("credits", ""))
    references.parse(changes.get("references", ""))
    if "title" in changes and not changes["title"]:
        raise BadInput("advisory: the title cannot be empty")
    with atomic():
        case = lock_case(case)
        require_case(acting, case)
        publication = Publication.objects.filter(case=case).first()
        if publication is not None and publication.finished_at is None:
            raise Refused(
                f"advisory: case {case.reference} is being published; edit it once that is done"
            )
        advisory = Advisory.objects.filter(case=case).first() or Advisory(
            case=case, title=case.title
        )
        for field, value in changes.items():
            setattr(advisory, field, value)
        advisory.updated_at = timezone.now()
        advisory.save()
        # The fields' names only: the text stays embargoed, even from the audit trail.
        record(acting, AuditEvent.ADVISORY_EDITED, case=case, fields=sorted(changes))
    return advisory


# Publishing is the team's action too; its steps live in publication.py.
from secdesk.advisories.publication import do_publish_case, publication_problems  # noqa: E402
