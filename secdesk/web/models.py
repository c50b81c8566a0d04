from django.db import models


class CalendarFeed(models.Model):
    """A member's private ICS feed of embargo ends. Like a login link, only the
    SHA-256 of its token is stored: the feed URL is shown once, when made."""

    person = models.OneToOneField(
        "teams.Person", on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    def __str__(self):
        return f"calendar feed of {self.person}"


class ReportFormPost(models.Model):
    """One use of a public form (a report, a request to join), counted per
    client address so that several web processes limit them together."""

    address = models.CharField(max_length=100)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["address", "at"])]
