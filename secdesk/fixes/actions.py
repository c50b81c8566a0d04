"""Recording the fixes of a case."""

import re

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.actions.common import atomic, lock_case, now
from secdesk.errors import BadInput, NotFound, Refused
from secdesk.fixes.models import Fix, Repository
from secdesk.teams.access import require_role
from secdesk.teams.models import Person


def do_record_fix(case, *, branch: str, commit: str, repository: str = "", acting: Person) -> Fix:
    """A fix commit on a branch. The first fix marks the case fix-ready."""
    commit = commit.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{7,64}", commit):
        raise BadInput(f"malformed commit id {commit!r}: 7 to 64 hex digits")
    if not branch.strip():
        raise BadInput("name the branch the fix is on")
    with atomic():
        case = lock_case(case)
        require_role(acting, case.project)
        if case.published_at is not None:
            raise Refused(f"case #{case.pk} is already published")
        repo = None
        if repository:
            repo = Repository.objects.filter(project=case.project, name=repository).first()
            if repo is None:
                raise NotFound(f"no repository {repository!r} in {case.project.slug}")
        if case.fixes.filter(branch=branch.strip(), commit=commit).exists():
            raise Refused(f"fix {commit[:12]} on {branch} is already recorded on case #{case.pk}")
        at = now()
        fix = Fix.objects.create(
            case=case,
            repository=repo,
            branch=branch.strip(),
            commit=commit,
            recorded_by=acting,
            recorded_at=at,
        )
        marked_ready = case.fix_ready_at is None
        if marked_ready:
            case.fix_ready_at = at
            case.save(update_fields=["fix_ready_at"])
        record(
            acting,
            AuditEvent.FIX_RECORDED,
            case=case,
            branch=fix.branch,
            commit=commit,
            repository=repository,
            fix_ready=marked_ready,
        )
    return fix
