"""Projects, their policy, and the people on their teams."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.errors import BadInput, NotAllowed, NotFound, Refused
from secdesk.lib.addresses import is_address
from secdesk.teams.access import require_role
from secdesk.teams.consent_machine import CONSENT
from secdesk.teams.models import Consent, JoinRequest, Membership, Person, Policy, Project, Role

# The policy settings an admin may change, with how each is read from text.
POLICY_FIELDS = {
    "default_embargo_days": int,
    "max_embargo_days": int,
    "max_restarts": int,
    "agreement": str,
    "agreement_approvals": int,
    "agreement_hours": int,
    "hold_escalation_hours": int,
    "acknowledgements_per_day": int,
    "signature_max_age_days": int,
    "acknowledgements_per_domain_per_hour": int,
    "acknowledgements_per_hour": int,
    "reminder_hours": str,
    "vouches_needed": int,
    "security_issue_text": str,
}


def _full_clean(obj, what: str):
    try:
        obj.full_clean()
    except ValidationError as err:
        problems = "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in err.message_dict.items()
        )
        raise BadInput(f"{what}: {problems}") from None


def do_create_admin(email: str, *, name: str = "") -> Person:
    """The site's first administrator (or another one): a login that may create projects."""
    User = get_user_model()
    with transaction.atomic(durable=True):
        person = Person.objects.filter(email__iexact=email).first() or Person(
            email=email, name=name
        )
        _full_clean(person, "admin")
        if person.user is None:
            user = User.objects.filter(username=email).first() or User(username=email, email=email)
        else:
            user = person.user
        user.is_staff = user.is_superuser = True
        if not user.has_usable_password():
            user.set_unusable_password()
        user.save()
        person.user = user
        person.save()
        record(None, AuditEvent.ADMIN_CREATED, person=person.email)
    return person


def person_for_address(email: str, name: str = "") -> Person:
    """The person with this address, created if secdesk has not met them yet."""
    email = email.strip()
    if not is_address(email):
        raise BadInput(f"malformed email address {email!r}")
    person = Person.objects.filter(email__iexact=email).first()
    if person is None:
        person = Person.objects.create(email=email, name=name.strip())
    return person


def people_for_addresses(addresses: list[tuple[str, str]]) -> dict[str, Person]:
    """`person_for_address` for many (address, name) pairs at once, by lower-cased
    address: the people secdesk knows, and the others created."""
    wanted: dict[str, tuple[str, str]] = {}
    for email, name in addresses:
        email = email.strip()
        if not is_address(email):
            raise BadInput(f"malformed email address {email!r}")
        wanted.setdefault(email.lower(), (email, name.strip()))
    found = {
        person.lower: person
        for person in Person.objects.annotate(lower=Lower("email")).filter(lower__in=list(wanted))
    }
    new = [
        Person(email=email, name=name) for key, (email, name) in wanted.items() if key not in found
    ]
    for person in Person.objects.bulk_create(new):
        found[person.email.lower()] = person
    return found


def person_by_email(email: str | None) -> Person:
    if not email:
        raise BadInput("say who is acting: --as EMAIL (or set SECDESK_AS)")
    person = Person.objects.filter(email__iexact=email.strip()).first()
    if person is None:
        raise NotFound(f"no person with address {email}")
    return person


def project_by_slug(slug: str) -> Project:
    project = Project.objects.select_related("policy").filter(slug=slug).first()
    if project is None:
        raise NotFound(f"no project {slug!r}")
    return project


def do_create_project(
    *,
    slug: str,
    name: str,
    security_address: str,
    dev_list: str = "",
    announce_list: str = "",
    acting: Person,
) -> Project:
    """A new project with the default policy; its creator becomes its first admin,
    bound by that policy."""
    if acting.user is None or not acting.user.is_superuser:
        raise NotAllowed(f"creating a project needs a site administrator; {acting} is not one")
    project = Project(
        slug=slug,
        name=name or slug,
        security_address=security_address,
        dev_list=dev_list,
        announce_list=announce_list,
    )
    _full_clean(project, "project")
    with transaction.atomic(durable=True):
        try:
            project.save()
        except IntegrityError:
            raise Refused(
                f"a project {slug!r} or the address {security_address} exists already"
            ) from None
        Policy.objects.create(project=project)
        Membership.objects.create(
            project=project,
            person=acting,
            role=Role.ADMIN,
            consent=Consent.SIGNATORY,
            consent_version=1,
            consented_at=timezone.now(),
        )
        record(
            acting,
            AuditEvent.PROJECT_CREATED,
            project=project,
            slug=slug,
            security_address=security_address,
        )
    return project


def do_set_policy(project: Project, changes: dict[str, str], *, acting: Person) -> Policy:
    """Change the policy. Its version goes up and every other member's consent lapses
    until they accept the new text; the admin who changed it accepts it by doing so."""
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise BadInput(
            f"unknown policy setting(s): {', '.join(sorted(unknown))}; "
            f"known: {', '.join(POLICY_FIELDS)}"
        )
    with transaction.atomic(durable=True):
        require_role(acting, project, Role.ADMIN)
        policy = Policy.objects.select_for_update().get(project=project)
        before = {field: getattr(policy, field) for field in changes}
        for field, text in changes.items():
            try:
                setattr(policy, field, POLICY_FIELDS[field](text))
            except ValueError:
                raise BadInput(f"policy: {field} must be a whole number, not {text!r}") from None
        # Before full_clean, whose message for the same rule names only a constraint.
        if policy.default_embargo_days > policy.max_embargo_days:
            raise BadInput("policy: the default embargo cannot be longer than the maximum")
        _full_clean(policy, "policy")
        policy.version += 1
        policy.save()
        at = timezone.now()
        lapsed = (
            Membership.objects.filter(project=project, consent=Consent.SIGNATORY)
            .exclude(person=acting)
            .update(consent=CONSENT.apply(Consent.SIGNATORY, "lapse"))
        )
        Membership.objects.filter(project=project, person=acting).update(
            consent_version=policy.version, consented_at=at
        )
        record(
            acting,
            AuditEvent.POLICY_CHANGED,
            project=project,
            version=policy.version,
            before=before,
            after={f: getattr(policy, f) for f in changes},
            lapsed=lapsed,
        )
    return policy


def do_set_list_addresses(
    project: Project, *, dev_list: str, announce_list: str, acting: Person
) -> Project:
    """Where the project's announcements go; empty leaves a list out.
    Not part of the embargo policy, so no member's consent lapses."""
    with transaction.atomic(durable=True):
        require_role(acting, project, Role.ADMIN)
        # FOR NO KEY UPDATE: a transaction that adds rows pointing at the project
        # checks them at its commit (FOR KEY SHARE), which FOR UPDATE would block.
        locked = Project.objects.select_for_update(no_key=True).get(pk=project.pk)
        before = {"dev_list": locked.dev_list, "announce_list": locked.announce_list}
        locked.dev_list, locked.announce_list = dev_list.strip(), announce_list.strip()
        _full_clean(locked, "project")
        after = {"dev_list": locked.dev_list, "announce_list": locked.announce_list}
        if after != before:
            locked.save(update_fields=["dev_list", "announce_list"])
            record(
                acting,
                AuditEvent.LIST_ADDRESSES_CHANGED,
                project=locked,
                before=before,
                after=after,
            )
    return locked


def do_add_member(
    project: Project,
    *,
    email: str,
    name: str = "",
    role: str = Role.MEMBER,
    organisation: str = "",
    acting: Person,
) -> Membership:
    """An admin invites a person to the team; they join once they accept the policy."""
    if role not in Role.values:
        raise BadInput(f"unknown role {role!r}; roles: {', '.join(Role.values)}")
    User = get_user_model()
    with transaction.atomic(durable=True):
        require_role(acting, project, Role.ADMIN)
        person = Person.objects.filter(email__iexact=email).first() or Person(
            email=email, name=name
        )
        _full_clean(person, "member")
        if person.user is None:
            user = User.objects.filter(username=email).first() or User(username=email, email=email)
            if user.pk is None:
                user.set_unusable_password()
                user.save()
            person.user = user
        person.save()
        membership, created = Membership.objects.get_or_create(
            project=project,
            person=person,
            defaults={"role": role, "organisation": organisation, "vouched_by": acting},
        )
        if not created and membership.removed_at is None:
            raise Refused(f"{person} is already on the {project.slug} team")
        if not created:
            membership.role, membership.organisation = role, organisation
            membership.consent, membership.removed_at = Consent.INVITED, None
            membership.vouched_by = acting
            membership.save()
        record(
            acting,
            AuditEvent.MEMBER_ADDED,
            project=project,
            person=person.email,
            role=role,
            organisation=organisation,
        )
    return membership


def _consent(project: Project, event: str, *, acting: Person) -> Membership:
    with transaction.atomic(durable=True):
        membership = (
            Membership.objects.select_for_update()
            .current()
            .filter(project=project, person=acting)
            .first()
        )
        if membership is None:
            raise NotAllowed(f"{acting} has not been invited to the {project.slug} team")
        membership.consent = CONSENT.apply(membership.consent, event)
        # The version in force now, not one cached on the caller's project object.
        version = Policy.objects.get(project=project).version
        if event == "accept":
            membership.consent_version = version
            membership.consented_at = timezone.now()
        membership.save()
        # An approved request to join ends here: joined, or declined for good.
        JoinRequest.objects.filter(
            project=project, person=acting, state=JoinRequest.State.APPROVED
        ).update(
            state=JoinRequest.State.JOINED if event == "accept" else JoinRequest.State.DECLINED
        )
        record(
            acting,
            AuditEvent.MEMBER_CONSENTED if event == "accept" else AuditEvent.MEMBER_DECLINED,
            project=project,
            policy_version=version,
        )
    return membership


def do_accept_policy(project: Project, *, acting: Person) -> Membership:
    return _consent(project, "accept", acting=acting)


def do_decline_policy(project: Project, *, acting: Person) -> Membership:
    return _consent(project, "decline", acting=acting)
