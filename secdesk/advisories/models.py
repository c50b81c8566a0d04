from django.core.validators import RegexValidator
from django.db import models

from secdesk.cases.models import Case
from secdesk.teams.models import Person, Project

CVE_ID_PATTERN = r"^CVE-\d{4}-\d{4,19}$"
cve_id_validator = RegexValidator(CVE_ID_PATTERN, "a CVE id such as CVE-2026-12345")


class CveState(models.TextChoices):
    RESERVED = "reserved"
    ASSIGNED = "assigned"
    PUBLISHED = "published"
    REJECTED = "rejected"


class CveId(models.Model):
    """A CVE id the project holds: reserved in its pool, or assigned to a case."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="cve_ids")
    cve_id = models.CharField(max_length=30, unique=True, validators=[cve_id_validator])
    state = models.CharField(max_length=20, choices=CveState.choices, default=CveState.RESERVED)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="cve_ids"
    )
    allocated_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    reserved_at = models.DateTimeField(null=True, blank=True)
    from_cve_services = models.BooleanField(
        default=False, help_text="Reserved through the project's CVE Services account."
    )

    class Meta:
        ordering = ["cve_id"]

    def __str__(self):
        return self.cve_id


class Advisory(models.Model):
    """What the world is told when the case is published."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="advisory")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    impact = models.TextField(blank=True)
    cwe = models.CharField(
        max_length=200,
        blank=True,
        validators=[RegexValidator(r"^CWE-\d+(, CWE-\d+)*$", "e.g. CWE-787, CWE-20")],
        help_text="The weaknesses, e.g. CWE-787, CWE-20.",
    )
    credits = models.TextField(
        blank=True,
        help_text="One person or organisation per line, the role first unless finder "
        "(reporter: Name <address>); see credits.py.",
    )
    references = models.TextField(
        blank=True,
        help_text="One URL per line, its type first unless a web page "
        "(fix https://…); see references.py.",
    )
    # Given at publication: the name the advisory is known by (e.g. LIBVIRT-SA-2026-0001).
    public_id = models.CharField(max_length=60, unique=True, null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "advisories"

    def __str__(self):
        return self.public_id or f"advisory of case #{self.case_id}"

    @property
    def published_at(self):
        return self.case.published_at


class CveServicesAccount(models.Model):
    """The project's account with CVE Services, when it is a CNA (or a member's CNA
    lends it one). The API key is a secret: it is never shown, logged or audited."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="cve_services")
    url = models.URLField(default="https://cveawg.mitre.org/api/")
    org = models.CharField("CNA short name", max_length=100)
    user = models.CharField(max_length=200)
    api_key = models.CharField(max_length=200)
    org_uuid = models.CharField(max_length=36, blank=True)

    def __str__(self):
        return f"CVE Services {self.org}/{self.user} for {self.project.slug}"

    def __repr__(self):
        return f"<CveServicesAccount {self.org}/{self.user}>"


class SecurityContact(models.Model):
    """What the public security pages and security.txt say beyond the policy."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="security_contact"
    )
    openpgp_key = models.TextField(
        blank=True, help_text="The security address's public OpenPGP key, ASCII-armoured."
    )
    preferred_languages = models.CharField(max_length=100, default="en")
    expires_days = models.PositiveIntegerField(
        default=365, help_text="security.txt's Expires: this many days after it is renewed."
    )
    # Stored, so the file stays the same (and can be signed) until the worker
    # renews it, a month before it lapses (see security_txt.py).
    expires_at = models.DateTimeField(null=True, blank=True)
    site_default = models.BooleanField(
        default=False, help_text="Served at /.well-known/security.txt when there are several."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site_default"],
                condition=models.Q(site_default=True),
                name="one_site_default_project",
            )
        ]


class Trigger(models.TextChoices):
    DECISION = "decision", "team decision"
    EXPIRED = "expired", "embargo expired"
    ZERO_DAY = "zero-day", "zero-day"


class Publication(models.Model):
    """The one publication of a case, step by step.

    Each step records when it was done, in the same transaction as its effect,
    so a publication interrupted anywhere resumes at the first step not done,
    and nothing done is done again.
    """

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="publication")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    started_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    override_reason = models.TextField(blank=True)
    overridden = models.JSONField(default=list)
    # The rendered documents, fixed once: a resumed publication sends and
    # serves exactly what the first attempt rendered.
    documents = models.JSONField(default=dict)
    rendered_at = models.DateTimeField(null=True, blank=True)
    announced_at = models.DateTimeField(null=True, blank=True)
    files_written_at = models.DateTimeField(null=True, blank=True)
    cve_published_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"publication of case #{self.case_id}"

    @property
    def progress(self) -> str:
        """What the publication is doing, or "done": its first step not done
        (publication.py runs them in this order)."""
        for field, doing in PROGRESS:
            if getattr(self, field) is None:
                return doing
        return "done"


# Each step of a publication, by the field that records it, as the case page names it at work.
PROGRESS = [
    ("rendered_at", "queued"),
    ("announced_at", "announcing"),
    ("files_written_at", "writing the advisory files"),
    ("cve_published_at", "publishing the CVE records"),
    ("finished_at", "finishing"),
]


class NoticeKind(models.TextChoices):
    REMINDER = "reminder", "embargo end reminder"
    EXPIRED_INCOMPLETE = "expired-incomplete", "embargo expired with something missing"


class EmbargoNotice(models.Model):
    """A reminder or alert sent about an embargo's end: at most one of each kind,
    per lead time and per end in force (a new end gets new reminders)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="embargo_notices")
    kind = models.CharField(max_length=30, choices=NoticeKind.choices)
    hours_before = models.PositiveIntegerField(default=0)
    embargo_end = models.DateTimeField()
    missing = models.JSONField(default=list)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "hours_before", "embargo_end"], name="one_notice_each"
            )
        ]


class Revision(models.Model):
    """An amendment of a published advisory: revision 2 onwards, the publication
    being revision 1. Its steps are recorded as a publication's are, so an
    amendment interrupted anywhere resumes at the first step not done, and the
    revision mail goes out once."""

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    reason = models.TextField()
    amended_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amended_at = models.DateTimeField()
    # Rendered when the advisory is amended, then sent and served as they are.
    documents = models.JSONField(default=dict)
    announced_at = models.DateTimeField(null=True, blank=True)
    files_written_at = models.DateTimeField(null=True, blank=True)
    cve_updated_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["publication", "number"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "number"], name="one_revision_each")
        ]

    def __str__(self):
        return f"revision {self.number} of case #{self.publication.case_id}"
