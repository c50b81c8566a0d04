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


class Outgoing(models.TextChoices):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class OutgoingMessage(models.Model):
    """One envelope to send, to one or many recipients. The rows with their
    recipients are the record of who received what."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="outgoing")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="outgoing"
    )
    case_message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="outgoing"
    )
    kind = models.CharField(max_length=40)
    message_id = models.CharField(max_length=500, unique=True)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list)
    reply_to = models.CharField(max_length=500, blank=True)
    # Each recipient's own reply address (address → reply address), for one
    # message to many people that none of them may see the others of: the
    # worker sends each recipient a mail of their own, To them alone, with
    # their reply address. One row for a post to a whole team, rather than a
    # row per member: the mail intake's posts to 51 recipients ran at 0.09 of
    # the bare SMTP server's rate with a row each, 0.3 with one row
    # (bench/mail_intake.py).
    reply_tos = models.JSONField(default=dict)
    subject = models.CharField(max_length=998)
    body = models.TextField()
    headers = models.JSONField(default=dict)
    dedupe_key = models.CharField(max_length=300, unique=True, null=True, blank=True)
    created_at = models.DateTimeField()
    state = models.CharField(max_length=20, choices=Outgoing.choices, default=Outgoing.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The recipients the relay accepted. When it refused some, the next
    # attempt goes to the others only: nobody receives the mail twice.
    delivered = models.JSONField(default=list)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self):
        return f"outgoing #{self.pk} {self.kind} ({self.state})"

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc]

    @property
    def undelivered(self) -> list[str]:
        return [address for address in self.recipients if address not in self.delivered]


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
