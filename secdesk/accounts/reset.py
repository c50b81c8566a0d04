"""Getting back in: a password reset by mail, and an admin's reset of all of a
member's login factors when they have lost them."""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from secdesk.accounts.factors import do_set_password
from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.errors import NotAllowed
from secdesk.lib.mail_text import mail_text
from secdesk.outbox import queue
from secdesk.outbox.addresses import no_reply_address
from secdesk.teams.access import is_site_admin
from secdesk.teams.models import Membership, Passkey, Person, Project, RecoveryCodes


class ResetTokens(PasswordResetTokenGenerator):
    """Django's reset tokens, which die when the password changes (so once used),
    after PASSWORD_RESET_TIMEOUT (an hour), and here also when the person loses
    access: removal from a team raises their session epoch."""

    key_salt = "secdesk.accounts.reset.ResetTokens"

    def _make_hash_value(self, user, timestamp):
        person = getattr(user, "person", None)
        epoch = person.session_epoch if person is not None else ""
        return f"{super()._make_hash_value(user, timestamp)}{epoch}{user.is_active}"


reset_tokens = ResetTokens()


def _home_project(person: Person) -> Project | None:
    """The project whose address account mail comes from: the first one the
    person is on. Someone on no team has no project to hear from. Answers go
    to the project's no-reply address, which takes no mail."""
    membership = (
        Membership.objects.filter(person=person, removed_at__isnull=True)
        .select_related("project")
        .order_by("project__pk")
        .first()
    )
    return membership.project if membership else None


def reset_link(person: Person) -> str:
    uid = urlsafe_base64_encode(force_bytes(person.user.pk))
    token = reset_tokens.make_token(person.user)
    return settings.SITE_URL + reverse("password_reset_confirm", args=[f"{uid}.{token}"])


def do_mail_password_reset(email: str) -> None:
    """Mail a password reset link to the person with this address, if there is
    one with a password and a login on some team; nothing otherwise, and the
    caller answers the same either way. At most one mail per person in each
    clock hour, so the form cannot be used to flood anyone's inbox.

    Someone without a password (never chosen, or removed by a factor reset)
    has no second factor either, and whoever read the link could choose both:
    they get back in by a one-time login link from the operator."""
    person = Person.objects.select_related("user").filter(email__iexact=email.strip()).first()
    user = person.user if person is not None else None
    if user is None or not user.is_active or not user.has_usable_password():
        return
    project = _home_project(person)
    if project is None:
        return
    hour = timezone.now().strftime("%Y%m%d%H")
    with transaction.atomic(durable=True):
        _, queued = queue.enqueue_once(
            project=project,
            to=[person.email],
            subject="Reset your secdesk password",
            body=mail_text("teams/mail/password_reset.txt", link=reset_link(person)),
            kind="password-reset",
            headers={"Reply-To": no_reply_address(project)},
            dedupe_key=f"password-reset:{person.pk}:{hour}",
        )
        if queued:
            record(None, AuditEvent.PASSWORD_RESET_MAILED, person=person.email)


def do_reset_password(person: Person, password: str) -> None:
    """The person chose a new password through a reset link."""
    do_set_password(person, password, acting=person, how="reset by mail")


def do_reset_factors(person: Person, *, acting: Person | None) -> dict:
    """Remove every login factor of `person` (password, authenticator, passkeys,
    recovery codes) and end their sessions, for a member who lost theirs. A
    site admin decides, or the operator on the command line (acting None). The
    member is told by mail; they get back in with a one-time login link."""
    if acting is not None and not is_site_admin(acting):
        raise NotAllowed("only a site administrator may reset someone's login factors")
    user = person.user
    if user is None:
        raise NotAllowed(f"{person.email} has no login")
    with transaction.atomic(durable=True):
        user.set_unusable_password()
        user.save(update_fields=["password"])
        removed = {
            "authenticators": TOTPDevice.objects.filter(user=user).delete()[0],
            "passkeys": Passkey.objects.filter(user=user).delete()[0],
            "recovery_codes": RecoveryCodes.objects.filter(user=user).delete()[0] > 0,
        }
        Person.objects.filter(pk=person.pk).update(session_epoch=F("session_epoch") + 1)
        record(acting, AuditEvent.FACTORS_RESET, person=person.email, **removed)
        project = _home_project(person)
        if project is not None:
            queue.enqueue(
                project=project,
                to=[person.email],
                subject="Your secdesk login factors were reset",
                body=mail_text("teams/mail/factors_reset.txt", acting=acting),
                kind="factors-reset",
                headers={"Reply-To": no_reply_address(project)},
            )
    return {"email": person.email, "told_by_mail": project is not None, **removed}
