"""Joining and leaving a team.

A person asks to join (web form, mail, or CLI) → members vouch for them → an
admin approves once the policy's number of vouches is reached → the applicant
accepts the embargo policy (teams.actions.do_accept_policy) and is a member.
Declining the policy ends the request. Removal ends access at once: every
session ends and every API token is revoked.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.errors import BadInput, NotAllowed, NotFound, Refused
from secdesk.teams import notices
from secdesk.teams.access import require_role
from secdesk.teams.actions import person_for_address
from secdesk.teams.models import (
    ApiToken,
    Consent,
    JoinRequest,
    Membership,
    Person,
    Project,
    Role,
    Vouch,
)


def _open_request(project: Project, email: str) -> JoinRequest:
    request = (
        JoinRequest.objects.select_for_update()
        .filter(
            project=project,
            person__email__iexact=email,
            state__in=[JoinRequest.State.PENDING, JoinRequest.State.APPROVED],
        )
        .select_related("person")
        .first()
    )
    if request is None:
        raise NotFound(f"no open request from {email} to join {project.slug}")
    return request


def do_request_membership(
    project: Project, *, email: str, name: str = "", organisation: str, statement: str
) -> JoinRequest:
    """Anyone may ask; nothing is granted until members vouch and an admin approves."""
    if not organisation.strip():
        raise BadInput("say which organisation you represent")
    if not statement.strip():
        raise BadInput("say who you are and why you should be on the team")
    with transaction.atomic(durable=True):
        person = person_for_address(email, name)
        if (
            Membership.objects.current()
            .filter(project=project, person=person)
            .exclude(consent=Consent.DECLINED)
            .exists()
        ):
            raise Refused(f"{person.email} is already on the {project.slug} team")
        try:
            with transaction.atomic():
                request = JoinRequest.objects.create(
                    project=project,
                    person=person,
                    organisation=organisation.strip(),
                    statement=statement.strip(),
                    created_at=timezone.now(),
                )
        except IntegrityError:
            raise Refused(f"{person.email} has already asked to join {project.slug}") from None
        # Nobody is mailed now: the admins hear of new requests in a digest
        # (announce_join_requests), so that the form mails no one at will.
        record(
            None,
            AuditEvent.JOIN_REQUESTED,
            project=project,
            person=person.email,
            organisation=request.organisation,
        )
    return request


# How often the admins of a project get a digest of new requests, at most.
DIGEST_EVERY = timedelta(hours=1)


def announce_join_requests() -> int:
    """The worker's digest: pending requests the admins have not heard of,
    one mail to each admin of the project, at most once in DIGEST_EVERY.
    The requests are locked while they are announced, so two workers never
    announce one twice. Returns how many requests were announced."""
    now = timezone.now()
    announced = 0
    projects = Project.objects.filter(
        join_requests__state=JoinRequest.State.PENDING, join_requests__announced_at__isnull=True
    ).distinct()
    for project in projects:
        with transaction.atomic(durable=True):
            last = JoinRequest.objects.filter(project=project).aggregate(at=Max("announced_at"))
            if last["at"] is not None and last["at"] > now - DIGEST_EVERY:
                continue
            requests = list(
                JoinRequest.objects.select_for_update(of=("self",))
                .filter(
                    project=project,
                    state=JoinRequest.State.PENDING,
                    announced_at__isnull=True,
                )
                .select_related("person")
                .order_by("created_at")
            )
            if not requests:
                continue
            notices.join_requests_digest(project, requests)
            JoinRequest.objects.filter(pk__in=[r.pk for r in requests]).update(announced_at=now)
            announced += len(requests)
    return announced


def do_vouch(project: Project, *, email: str, statement: str = "", acting: Person) -> Vouch:
    with transaction.atomic(durable=True):
        require_role(acting, project)
        request = _open_request(project, email)
        if request.state != JoinRequest.State.PENDING:
            raise Refused(f"the request from {email} is already {request.state}")
        if request.person_id == acting.pk:
            raise NotAllowed("nobody vouches for themselves")
        try:
            with transaction.atomic():
                vouch = Vouch.objects.create(
                    request=request, member=acting, statement=statement.strip(), at=timezone.now()
                )
        except IntegrityError:
            raise Refused(f"{acting.email} has already vouched for {email}") from None
        record(acting, AuditEvent.MEMBER_VOUCHED, project=project, person=email)
    return vouch


def do_approve_request(
    project: Project, *, email: str, role: str = Role.MEMBER, acting: Person
) -> Membership:
    """The admin's approval: the applicant is invited, and joins by accepting the policy."""
    if role not in Role.values:
        raise BadInput(f"unknown role {role!r}; roles: {', '.join(Role.values)}")
    with transaction.atomic(durable=True):
        require_role(acting, project, Role.ADMIN)
        request = _open_request(project, email)
        if request.state != JoinRequest.State.PENDING:
            raise Refused(f"the request from {email} is already {request.state}")
        needed = project.policy.vouches_needed
        vouches = request.vouches.count()
        if vouches < needed:
            raise Refused(
                f"membership: {email} has {vouches} vouch(es); the policy needs {needed} "
                "from existing members before an admin approves"
            )
        now = timezone.now()
        voucher = request.vouches.order_by("at").first().member
        membership, created = Membership.objects.get_or_create(
            project=project,
            person=request.person,
            defaults={"role": role, "organisation": request.organisation, "vouched_by": voucher},
        )
        if not created:
            membership.role, membership.organisation = role, request.organisation
            membership.consent, membership.removed_at = Consent.INVITED, None
            membership.vouched_by = voucher
            membership.save()
        request.state, request.decided_at, request.decided_by = "approved", now, acting
        request.save(update_fields=["state", "decided_at", "decided_by"])
        _ensure_login(request.person)
        notices.join_approved(request)
        record(
            acting,
            AuditEvent.JOIN_APPROVED,
            project=project,
            person=email,
            role=role,
            vouched_by=[v.member.email for v in request.vouches.select_related("member")],
        )
    return membership


def do_reject_request(project: Project, *, email: str, reason: str, acting: Person) -> JoinRequest:
    if not reason.strip():
        raise BadInput("say why the request is rejected")
    with transaction.atomic(durable=True):
        require_role(acting, project, Role.ADMIN)
        request = _open_request(project, email)
        request.state, request.reason = JoinRequest.State.REJECTED, reason.strip()
        request.decided_at, request.decided_by = timezone.now(), acting
        request.save()
        record(
            acting, AuditEvent.JOIN_REJECTED, project=project, person=email, reason=reason.strip()
        )
    return request


def do_remove_member(project: Project, *, email: str, reason: str, acting: Person) -> Membership:
    """Removal (or leaving, when the acting person removes themselves) ends access
    at once: the membership ends, every session of the person ends, and every
    API token is revoked."""
    with transaction.atomic(durable=True):
        membership = (
            Membership.objects.select_for_update()
            .current()
            .filter(project=project, person__email__iexact=email)
            .select_related("person")
            .first()
        )
        if membership is None:
            raise NotFound(f"{email} is not on the {project.slug} team")
        if membership.person_id != acting.pk:
            require_role(acting, project, Role.ADMIN)
        if (
            membership.role == Role.ADMIN
            and not Membership.objects.active()
            .filter(project=project, role=Role.ADMIN)
            .exclude(pk=membership.pk)
            .exists()
        ):
            raise Refused(f"{email} is the last admin of {project.slug}; name another first")
        now = timezone.now()
        membership.removed_at = now
        membership.save(update_fields=["removed_at"])
        end_access(membership.person, at=now)
        record(
            acting,
            AuditEvent.MEMBER_REMOVED,
            project=project,
            person=membership.person.email,
            reason=reason.strip(),
        )
    return membership


def end_access(person: Person, *, at) -> None:
    """End every session (their epoch no longer matches) and revoke every token."""
    Person.objects.filter(pk=person.pk).update(session_epoch=F("session_epoch") + 1)
    ApiToken.objects.filter(person=person, revoked_at__isnull=True).update(revoked_at=at)


def do_change_role(project: Project, *, email: str, role: str, acting: Person) -> Membership:
    if role not in Role.values:
        raise BadInput(f"unknown role {role!r}; roles: {', '.join(Role.values)}")
    with transaction.atomic(durable=True):
        require_role(acting, project, Role.ADMIN)
        membership = (
            Membership.objects.select_for_update()
            .current()
            .filter(project=project, person__email__iexact=email)
            .first()
        )
        if membership is None:
            raise NotFound(f"{email} is not on the {project.slug} team")
        before = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        record(
            acting,
            AuditEvent.ROLE_CHANGED,
            project=project,
            person=email,
            before=before,
            after=role,
        )
    return membership


def _ensure_login(person: Person) -> None:
    if person.user is None:
        User = get_user_model()
        user = User.objects.filter(username=person.email).first() or User(
            username=person.email, email=person.email
        )
        if user.pk is None:
            user.set_unusable_password()
            user.save()
        person.user = user
        person.save(update_fields=["user"])
