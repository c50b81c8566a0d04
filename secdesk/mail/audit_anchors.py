"""Anchoring the audit trail: the head of the chain (its number, hash and time),
sealed with the audit key, kept as an AuditAnchor and mailed to the admins of
every project. Whoever rewrites or shortens the trail later cannot change the
copies in the admins' mailboxes: `secdesk audit verify --anchor …` checks the
trail against one of them.

The worker anchors once a day when the trail has grown; `secdesk audit anchor`
anchors at once.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from secdesk.audit import seal
from secdesk.audit.log import record
from secdesk.audit.models import AuditAnchor, AuditEvent, AuditHead
from secdesk.errors import NotAllowed
from secdesk.lib.mail_text import mail_text
from secdesk.outbox.queue import enqueue
from secdesk.teams.access import is_site_admin, project_admins, projects_of
from secdesk.teams.models import Person, Project, Role

DAILY = timedelta(days=1)


def do_anchor_audit(*, acting: Person) -> AuditAnchor:
    """Anchor now: for a site admin or the admin of a project."""
    if not (is_site_admin(acting) or projects_of(acting, Role.ADMIN).exists()):
        raise NotAllowed(f"anchoring the audit trail needs an admin; {acting} is not one")
    with transaction.atomic(durable=True):
        return _anchor(acting)


def anchor_when_due(at=None) -> AuditAnchor | None:
    """The worker's daily anchor: made when the last one is a day old and records
    were written since (the anchor's own record is the last it covers), or when
    there is none yet. Asked first without a lock, as it mostly is not due, then
    again under the head's lock, so that two workers make one."""
    at = at or timezone.now()
    if not _due(at):
        return None
    with transaction.atomic(durable=True):
        AuditHead.objects.select_for_update().get_or_create(pk=1)
        return _anchor(None) if _due(at) else None


def _due(at) -> bool:
    head = AuditHead.objects.filter(pk=1).first()
    last = AuditAnchor.objects.order_by("-seq").first()
    grown = head is not None and head.count > (last.seq if last else 0)
    return grown and (last is None or at - last.at >= DAILY)


def anchor_statement(anchor: AuditAnchor) -> str:
    """The anchor as it leaves secdesk, in every admin's mail. This is the one text
    an admin keeps and gives back to `audit verify --anchor`."""
    return (
        f"Audit trail anchor: record {anchor.seq}, {anchor.at:%Y-%m-%d %H:%M:%S} UTC\n"
        f"{anchor.token}\n"
    )


def _anchor(acting: Person | None) -> AuditAnchor:
    """Record the anchoring, then anchor the head that record made, and queue one
    mail per admin (no admin sees who else receives it). Inside the transaction,
    with the head locked."""
    recipients = _recipients()
    entry = record(acting, AuditEvent.AUDIT_ANCHORED, to=sorted(recipients))
    at = timezone.now().replace(microsecond=0)
    anchor = AuditAnchor(seq=entry.seq, hash=entry.hash, at=at)
    anchor.seal = seal.anchor_seal(anchor.seq, anchor.hash, anchor.stamp)
    anchor.save()
    for email, project in sorted(recipients.items()):
        enqueue(
            project=project,
            to=[email],
            subject=f"[{project.slug}] audit trail anchor: record {anchor.seq}",
            body=_body(anchor),
            kind="audit-anchor",
            dedupe_key=f"audit-anchor:{anchor.pk}:{email}",
        )
    return anchor


def _recipients() -> dict[str, Project]:
    """Every project's admins, each once (from the first project they administer)."""
    recipients: dict[str, Project] = {}
    for project in Project.objects.order_by("pk"):
        for admin in project_admins(project):
            recipients.setdefault(admin.email, project)
    return recipients


def _body(anchor: AuditAnchor) -> str:
    return mail_text(
        "audit/mail/anchor.txt", statement=anchor_statement(anchor), token=anchor.token
    )
