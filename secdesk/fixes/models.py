from django.core.validators import RegexValidator
from django.db import models

from secdesk.cases.models import Case
from secdesk.teams.models import Person, Project

commit_id = RegexValidator(r"^[0-9a-f]{4,64}$", "a commit id in lowercase hex")


class Repository(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="repositories")
    name = models.SlugField()
    url = models.CharField(max_length=500, help_text="A local path or a URL that git can clone.")
    release_tags = models.CharField(
        max_length=200,
        default=r"^v(\d+)\.(\d+)\.(\d+)$",
        help_text="A regular expression whose groups give the version, joined by dots.",
    )
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="repository_name_per_project")
        ]

    def __str__(self):
        return f"{self.project.slug}/{self.name}"


class Branch(models.Model):
    """A maintained branch, by name or by pattern (e.g. `v*-maint`)."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="branches")
    pattern = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "pattern"], name="branch_pattern_once")
        ]

    def __str__(self):
        return f"{self.repository}:{self.pattern}"


class Fix(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="fixes")
    repository = models.ForeignKey(
        Repository, null=True, on_delete=models.PROTECT, related_name="+"
    )
    branch = models.CharField(max_length=200)
    commit = models.CharField(max_length=64, validators=[commit_id])
    recorded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["branch", "recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["case", "branch", "commit"], name="fix_once")
        ]

    def __str__(self):
        return f"{self.commit[:12]} on {self.branch}"


class IntroducingCommit(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="introduced_by")
    repository = models.ForeignKey(
        Repository, null=True, on_delete=models.PROTECT, related_name="+"
    )
    commit = models.CharField(max_length=64, validators=[commit_id])


class NotAffected(models.Model):
    """An explicit "this maintained branch is not affected", with the reason."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="not_affected")
    branch = models.CharField(max_length=200)
    reason = models.TextField()
    recorded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()


class PackageIdentity(models.Model):
    """How the world names the project's software, for the advisories: the
    product name, the OSV ecosystem and package name, a purl, a CPE, and the
    public address of its repository. The last is apart from the mirrors'
    URLs, which may be local paths or ssh addresses nobody else can read."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="package")
    product = models.CharField(max_length=200, blank=True, help_text="The project's name if empty.")
    ecosystem = models.CharField(max_length=100, blank=True)
    package_name = models.CharField(max_length=300, blank=True)
    purl = models.CharField(max_length=500, blank=True)
    cpe = models.CharField(max_length=500, blank=True)
    repository_url = models.URLField(max_length=500, blank=True)
    version_type = models.CharField(
        max_length=50,
        blank=True,
        help_text="semver or custom; if empty, semver when every release is N.N.N.",
    )

    def __str__(self):
        return f"{self.project.slug} package"
