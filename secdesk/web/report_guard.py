"""What keeps the public report form from becoming a spam cannon, with no
third-party service: a limit per client address, counted in the database; a
honeypot field people never see; and a signed timestamp, so a post that comes
back faster than a person types, or from a page kept open for days, is refused.
The limit per client address also holds the form to join a team and the
password reset form: the public forms share it.
"""

from datetime import UTC, datetime, timedelta

from django.core import signing
from django.utils import timezone

from secdesk.web.models import ReportFormPost

POSTS_PER_HOUR = 5
FASTEST = timedelta(seconds=3)
OLDEST = timedelta(days=1)
_SALT = "secdesk.report-form"


class Guarded(Exception):
    """Why a post was refused, in words for the person who sent it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def stamp(slug: str) -> str:
    """The signed moment the form was shown, bound to the project's form."""
    return signing.dumps({"p": slug, "t": timezone.now().timestamp()}, salt=_SALT)


def check_stamp(value: str, slug: str) -> None:
    try:
        data = signing.loads(value, salt=_SALT)
    except signing.BadSignature:
        raise Guarded("The form was damaged on the way. Please send it again.") from None
    if data.get("p") != slug:
        raise Guarded("The form was damaged on the way. Please send it again.")
    age = timezone.now() - datetime.fromtimestamp(data["t"], tz=UTC)
    if age < FASTEST:
        raise Guarded("That was faster than a person types. Please wait a moment and send again.")
    if age > OLDEST:
        raise Guarded("The form was open for more than a day. Please check it and send again.")


def check_honeypot(value: str) -> None:
    # Said plainly: a person who somehow filled it can still write by mail.
    if value:
        raise Guarded("The form could not be accepted.")


def check_rate(address: str | None) -> None:
    since = timezone.now() - timedelta(hours=1)
    if ReportFormPost.objects.filter(address=address or "", at__gte=since).count() >= (
        POSTS_PER_HOUR
    ):
        raise Guarded(
            f"More than {POSTS_PER_HOUR} forms sent from your address in an hour. "
            "Please wait an hour, or write by mail."
        )


def count_post(address: str | None) -> None:
    now = timezone.now()
    # Only the last hour counts; older rows of this address are of no use.
    ReportFormPost.objects.filter(address=address or "", at__lt=now - timedelta(hours=1)).delete()
    ReportFormPost.objects.create(address=address or "", at=now)
