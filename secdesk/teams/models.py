from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django_otp.models import Device

DEFAULT_SECURITY_ISSUE_TEXT = (
    "A flaw is a security issue when it crosses a privilege boundary: for example when a "
    "read-only client can deny service to read-write clients, when any action violates the "
    "access control boundaries of another client, or when it escalates privilege. A crash "
    "that only a fully privileged client can trigger is usually not a security issue, since "
    "such a client already has full access to the system."
)


class Project(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    security_address = models.EmailField(unique=True)
    dev_list = models.EmailField("development list", blank=True)
    announce_list = models.EmailField("announcement list", blank=True)
    # Mail authenticated by the site's MTA (DKIM/DMARC, in an Authentication-Results
    # header added by the server named here) counts like a valid OpenPGP signature.
    trust_mta_authentication = models.BooleanField(default=False)
    mta_authserv_id = models.CharField("authserv-id of the site's MTA", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.name


class Agreement(models.TextChoices):
    APPROVALS = "approvals", "approvals from other members"
    NO_OBJECTION = "no_objection", "no objection within a waiting period"


class Policy(models.Model):
    """The project's embargo policy: the numbers secdesk enforces and publishes.

    `version` goes up whenever the policy changes, so a member's consent can be
    tied to the text they accepted.
    """

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="policy")
    version = models.PositiveIntegerField(default=1)
    default_embargo_days = models.PositiveIntegerField(
        default=14, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    max_embargo_days = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    max_restarts = models.PositiveIntegerField(default=1, validators=[MaxValueValidator(10)])
    agreement = models.CharField(
        max_length=20, choices=Agreement.choices, default=Agreement.APPROVALS
    )
    agreement_approvals = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    agreement_hours = models.PositiveIntegerField(
        default=48, validators=[MinValueValidator(1), MaxValueValidator(24 * 14)]
    )
    hold_escalation_hours = models.PositiveIntegerField(default=48)
    acknowledgements_per_day = models.PositiveIntegerField(
        default=3,
        validators=[MaxValueValidator(20)],
        help_text="Automatic replies to one sender in a day, at most (RFC 3834).",
    )
    # Anyone can forge a sender: these keep a flood of forged reports from
    # making secdesk mail many addresses of one domain, or many domains.
    acknowledgements_per_domain_per_hour = models.PositiveIntegerField(
        default=10,
        validators=[MaxValueValidator(1000)],
        help_text="Automatic replies to the addresses of one domain in an hour, at most.",
    )
    acknowledgements_per_hour = models.PositiveIntegerField(
        default=60,
        validators=[MaxValueValidator(10000)],
        help_text="Automatic replies in an hour, at most, to anyone.",
    )
    reminder_hours = models.CharField(
        max_length=100,
        default="72,24",
        validators=[RegexValidator(r"^\d+(,\d+)*$", "hours before the end, e.g. 72,24")],
        help_text="When members are reminded before an embargo ends.",
    )
    vouches_needed = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    signature_max_age_days = models.PositiveIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Mail signed longer ago than this is held, not taken as a member's.",
    )
    security_issue_text = models.TextField(default=DEFAULT_SECURITY_ISSUE_TEXT)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "policies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(default_embargo_days__lte=models.F("max_embargo_days")),
                name="policy_default_within_max",
            )
        ]

    def __str__(self):
        return f"policy v{self.version} of {self.project}"


class Person(models.Model):
    """Anyone secdesk knows by address: members, and reporters (who need no account)."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Raised when the person loses access: every session started before ends.
    session_epoch = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["email"]
        # Mail finds its sender by address whatever its case: every report does.
        indexes = [models.Index(Lower("email"), name="person_email_lower")]

    def __str__(self):
        return f"{self.name} <{self.email}>" if self.name else self.email


FINGERPRINT = RegexValidator(r"^[0-9A-F]{40}$", "a 40-digit uppercase hex fingerprint")


class MemberKey(models.Model):
    """A public OpenPGP key bound to a person: mail signed by it is theirs.

    A person may have several. Removing a key keeps the row (removed_at), so
    that what was once accepted under it can still be traced to it.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="keys")
    fingerprint = models.CharField(max_length=40, validators=[FINGERPRINT])
    armoured = models.TextField(help_text="The public key, ASCII-armoured.")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True, help_text="As the key says.")
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # A key speaks for one person at a time.
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=models.Q(removed_at__isnull=True),
                name="key_bound_to_one_person",
            )
        ]

    def __str__(self):
        return f"{self.fingerprint} of {self.person}"


class SeenSignature(models.Model):
    """An OpenPGP signature that made an inbound message a member's. The same
    signature on another message is a replay."""

    digest = models.CharField(max_length=64, unique=True)
    fingerprint = models.CharField(max_length=40, validators=[FINGERPRINT])
    inbound_id = models.PositiveBigIntegerField(help_text="The inbound message it came with.")
    at = models.DateTimeField()


class Role(models.TextChoices):
    MEMBER = "member"
    MODERATOR = "moderator"
    ADMIN = "admin"


ROLE_RANK = {Role.MEMBER: 1, Role.MODERATOR: 2, Role.ADMIN: 3}


class Consent(models.TextChoices):
    INVITED = "invited"
    SIGNATORY = "signatory"
    DECLINED = "declined"
    LAPSED = "lapsed"


class MembershipQuerySet(models.QuerySet):
    def current(self):
        """Not removed, whatever the consent."""
        return self.filter(removed_at__isnull=True)

    def active(self):
        """Not removed, and bound by the current embargo policy: the memberships
        through which a person acts in a project (see teams/access.py)."""
        return self.current().filter(consent=Consent.SIGNATORY)


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    organisation = models.CharField(max_length=200, blank=True)
    consent = models.CharField(max_length=20, choices=Consent.choices, default=Consent.INVITED)
    consent_version = models.PositiveIntegerField(null=True, blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    vouched_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    joined_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "person"], name="one_membership_each")
        ]

    def __str__(self):
        return f"{self.person} in {self.project} ({self.role})"

    @property
    def active(self) -> bool:
        return self.removed_at is None and self.consent == Consent.SIGNATORY


class JoinRequest(models.Model):
    """Someone asks to join a project's team: vouched for by members,
    approved by an admin, then bound by the embargo policy once they accept it."""

    class State(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"
        DECLINED = "declined"
        JOINED = "joined"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="join_requests")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="join_requests")
    organisation = models.CharField(max_length=200)
    statement = models.TextField(help_text="Who they are and why they should be on the team.")
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    # When the admins were told of it, in their digest of new requests.
    announced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "person"],
                condition=models.Q(state__in=["pending", "approved"]),
                name="one_open_request_per_person",
            )
        ]

    def __str__(self):
        return f"{self.person} asks to join {self.project} ({self.state})"


class Vouch(models.Model):
    request = models.ForeignKey(JoinRequest, on_delete=models.CASCADE, related_name="vouches")
    member = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    statement = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "member"], name="vouch_once")]


class ApiToken(models.Model):
    """A personal API token. Only its hash is kept; the token is shown once."""

    class Scope(models.TextChoices):
        READ = "read", "read cases"
        WRITE = "write", "read and act on cases"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=12, help_text="The token's first characters, to tell it apart."
    )
    token_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class LoginFailure(models.Model):
    """Failed logins, for throttling. Kept in the database so that several web
    processes count together."""

    username = models.CharField(max_length=254, db_index=True)
    address = models.GenericIPAddressField(null=True)
    at = models.DateTimeField(db_index=True)


class Passkey(Device):
    """A WebAuthn credential: a second factor, or a login by itself when the
    authenticator verified the person (a PIN, a fingerprint). A django-otp
    device, so that using it passes the second factor like a TOTP code does."""

    # base64url, as the browser names it: a login looks the credential up by it.
    credential_id = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]


class RecoveryCodes(Device):
    """A person's set of one-time recovery codes, as a django-otp device: a code
    stands in for the second factor. Not django-otp's static plugin, which keeps
    its codes in plain text, readable in any copy of the database."""


class RecoveryCode(models.Model):
    """One recovery code. Only its SHA-256 is kept: a code is random (50 bits),
    so a slow hash would add nothing."""

    codes = models.ForeignKey(RecoveryCodes, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["codes", "code_hash"], name="recovery_code_once")
        ]


class LoginLink(models.Model):
    """A one-time login link. Only the SHA-256 of its token is stored, so a copy
    of the database (a backup, a dump) cannot be used to log in."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table it had in the web app (migrations web 0003, teams 0008).
        db_table = "web_loginlink"

    def __str__(self):
        return f"login link for {self.user} until {self.expires_at:%Y-%m-%d %H:%M} UTC"
