from django.db import models

from secdesk.cases.models import Case, Message
from secdesk.teams.models import Person, Project


class Inbound(models.TextChoices):
    # Stored before the 250 reply; the rules have not run yet.
    RECEIVED = "received"
    # The rules are running. A message found here after a restart was
    # interrupted half-way, and goes to quarantine for a person to check.
    PROCESSING = "processing"
    HELD = "held"
    ACCEPTED = "accepted"
    QUARANTINED = "quarantined"
    DISCARDED = "discarded"
    REJECTED = "rejected"


class InboundMessage(models.Model):
    """One message as it came off the wire, for one project: kept whatever happens."""

    raw = models.BinaryField()
    size = models.PositiveIntegerField()
    mail_from = models.CharField("envelope sender", max_length=500, blank=True)
    rcpt_tos = models.JSONField("envelope recipients", default=list)
    peer = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(db_index=True)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="inbound")
    state = models.CharField(max_length=20, choices=Inbound.choices, default=Inbound.RECEIVED)
    # What the rules found, each with its reason (Mailman's "defer" gathers them all).
    reasons = models.JSONField(default=list)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound"
    )
    # True when this message opened the case (a report), not a post into one.
    opened_case = models.BooleanField(default=False)
    sender = models.CharField("the From address", max_length=500, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    message_id = models.CharField(max_length=500, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["state", "id"])]

    def __str__(self):
        return f"inbound #{self.pk} ({self.state})"


class Attachment(models.Model):
    inbound = models.ForeignKey(
        InboundMessage, on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(max_length=300, blank=True)
    content_type = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()

    class Meta:
        ordering = ["pk"]


class MessageMail(models.Model):
    """How a case message travels by mail: its Message-ID and threading, the mail
    it came from, and whether it has gone out to the people who receive it."""

    case_message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="mail")
    message_id = models.CharField(max_length=500, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=500, blank=True)
    inbound = models.ForeignKey(
        InboundMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set once the message is in the outbox for everyone who gets it. A held
    # report's first message waits here until a moderator approves it.
    distributed_at = models.DateTimeField(null=True, blank=True)


class AcknowledgementCount(models.Model):
    """Automatic replies sent to one address on one day (RFC 3834: not too many)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    address = models.CharField(max_length=500)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "address", "day"], name="one_ack_count_per_sender_day"
            )
        ]
