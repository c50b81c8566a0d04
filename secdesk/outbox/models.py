"""Mail to send, one row per envelope, written in the transaction of the action
that sends it."""

from django.db import models


class Outgoing(models.TextChoices):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class OutgoingMessage(models.Model):
    """One envelope to send, to one or many recipients. The rows with their
    recipients are the record of who received what."""

    project = models.ForeignKey("teams.Project", on_delete=models.PROTECT, related_name="outgoing")
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="outgoing"
    )
    case_message = models.ForeignKey(
        "cases.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="outgoing"
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
        # The table it had in the mail app, before the outbox became an app below
        # teams and cases (migrations mail 0004, outbox 0001).
        db_table = "mail_outgoingmessage"
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
