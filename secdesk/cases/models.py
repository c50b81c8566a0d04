import secrets

from django.core.exceptions import ObjectDoesNotExist
from django.db import models

from secdesk.teams.models import Person, Project


def new_token() -> str:
    # 128 bits, URL- and local-part-safe: a reply address's detail, a private link.
    return secrets.token_hex(16)


class ReportState(models.TextChoices):
    RECEIVED = "received"
    HELD = "held"
    VALID = "valid"
    INVALID = "invalid"
    ACCEPTED = "accepted"
    DEFERRED = "deferred"
    CLOSED = "closed"


class CaseQuerySet(models.QuerySet):
    def unpublished(self):
        """Cases whose publication has not finished (or not started)."""
        return self.exclude(publication__finished_at__isnull=False)


class Case(models.Model):
    """A report and everything the team learns and decides about it."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="cases")
    # The case's number within its project: `example#1`, `other#1`. Counted per
    # project so that a reference tells no one how many reports the site holds.
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    reporter = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="reported_cases"
    )
    state = models.CharField(max_length=20, choices=ReportState.choices)
    state_reason = models.TextField(
        blank=True, help_text="The reason given with the move into the state, if it needs one."
    )
    received_at = models.DateTimeField()
    public_at_intake = models.BooleanField(
        default=False, help_text="Already public when reported (a zero-day): no embargo."
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )

    # Triage
    is_security_issue = models.BooleanField(null=True)
    triage_reasoning = models.TextField(blank=True)
    cvss3_vector = models.CharField(max_length=200, blank=True)
    cvss3_score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    cvss4_vector = models.CharField(max_length=300, blank=True)
    cvss4_score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)

    # Case facts: one-way flags, kept as the time each became true.
    # Only "fix found faulty" clears fix_ready_at.
    vendor_aware_at = models.DateTimeField(null=True, blank=True)
    fix_ready_at = models.DateTimeField(null=True, blank=True)
    fix_published_at = models.DateTimeField(null=True, blank=True)
    public_at = models.DateTimeField(null=True, blank=True)
    exploit_public_at = models.DateTimeField(null=True, blank=True)
    attacks_observed_at = models.DateTimeField(null=True, blank=True)

    # Empty: every member of the project's team. Otherwise only these members
    # (e.g. the affected vendors) see the case and receive its mail.
    restricted_to = models.ManyToManyField(Person, blank=True, related_name="restricted_cases")

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # The open cases, those in a state, of every project a person is on.
            models.Index(fields=["state", "project"]),
            # Every list of cases, newest first.
            models.Index(fields=["received_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"], name="one_number_per_project_case"
            )
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def published_at(self):
        """When its publication finished: the case's Publication (see
        advisories/publication.py) is the one record of that."""
        try:
            return self.publication.finished_at
        except ObjectDoesNotExist:
            return None

    @property
    def reference(self) -> str:
        """`slug#N`: how mail subjects, the web, the API and the CLI name the case."""
        return f"{self.project.slug}#{self.number}"


class Capability(models.Model):
    """A secret that stands for one person in one case, and for nothing else.

    Two kinds: the reporter's private web link (LINK), and the reply address in
    the mail one person received about the case (REPLY). A token admits its
    holder only while `secdesk.cases.access.capability_admits` says so: it is
    revoked explicitly (a reissued reporter link), and it dies with its
    holder's access (removal, a restriction that leaves them out, a lapsed
    consent) without anyone having to remember to revoke it.
    """

    class Kind(models.TextChoices):
        LINK = "link", "reporter's private link"
        REPLY = "reply", "reply address"

    token = models.CharField(max_length=32, unique=True, default=new_token)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="capabilities")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="capabilities")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "person", "kind"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_live_capability_per_case_person_kind",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.person} for case #{self.case_id}"


class Message(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(Person, null=True, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=500, blank=True)
    body = models.TextField()
    internal = models.BooleanField(
        default=False, help_text="Members only: never sent to the reporter."
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]


class EmbargoState(models.TextChoices):
    NONE = "none"
    PROPOSED = "proposed"
    ACTIVE = "active"
    REVISE = "revise"
    EXITED = "exited"


class Embargo(models.Model):
    """One per case. `end_at` is the end in force; a pending proposal lives in
    EmbargoProposal until accepted, so a revision never weakens the active end."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="embargo")
    state = models.CharField(max_length=20, choices=EmbargoState.choices, default=EmbargoState.NONE)
    clock_started_at = models.DateTimeField(null=True, blank=True)
    end_at = models.DateTimeField(null=True, blank=True)
    restarts = models.PositiveIntegerField(default=0)
    exit_reason = models.CharField(max_length=40, blank=True)
    exited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The embargoes in force that end soon (the dashboard, the calendar,
        # the worker's expiry), found without reading every case.
        indexes = [models.Index(fields=["state", "end_at"])]

    def __str__(self):
        return f"embargo of case #{self.case_id} ({self.state})"


class ProposalState(models.TextChoices):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class EmbargoProposal(models.Model):
    embargo = models.ForeignKey(Embargo, on_delete=models.CASCADE, related_name="proposals")
    proposed_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField()
    end_at = models.DateTimeField()
    is_extension = models.BooleanField(
        default=False,
        help_text="Longer than the policy's default: needs justification and agreement.",
    )
    justification = models.TextField(blank=True)
    state = models.CharField(
        max_length=20, choices=ProposalState.choices, default=ProposalState.OPEN
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["proposed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["embargo"],
                condition=models.Q(state=ProposalState.OPEN),
                name="one_open_proposal_per_embargo",
            )
        ]


class EmbargoVote(models.Model):
    """A member's agreement to, or objection against, an extension."""

    proposal = models.ForeignKey(EmbargoProposal, on_delete=models.CASCADE, related_name="votes")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    approve = models.BooleanField()
    reason = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "person"], name="one_vote_each")]


class EmbargoEvent(models.Model):
    """The embargo's own history: what changed the end in force, and why."""

    class Kind(models.TextChoices):
        PROPOSED = "proposed"
        ACCEPTED = "accepted"
        REJECTED = "rejected"
        AGREED = "agreed"
        OBJECTED = "objected"
        RESTARTED = "restarted"
        EXITED = "exited"

    embargo = models.ForeignKey(Embargo, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(Person, null=True, on_delete=models.PROTECT, related_name="+")
    end_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]


class FaultyFix(models.Model):
    """A fix found faulty: clears "fix ready" and allows one clock restart."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="faulty_fixes")
    reported_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.TextField()
    restarted_clock = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "pk"]
