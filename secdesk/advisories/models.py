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
        max_length=20, blank=True, validators=[RegexValidator(r"^CWE-\d+$", "e.g. CWE-787")]
    )
    credits = models.TextField(blank=True)
    references = models.TextField(blank=True, help_text="One URL per line.")
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "advisories"
