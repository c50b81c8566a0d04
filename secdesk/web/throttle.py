"""Login throttling: too many failures for one account or from one address, and
further attempts are refused for a while. Counted in the database, so several
web processes count together."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from secdesk.teams.models import LoginFailure


def client_address(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None if request is not None else None


def is_throttled(username: str, address: str | None) -> bool:
    since = timezone.now() - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    recent = LoginFailure.objects.filter(at__gte=since)
    by_account = recent.filter(username__iexact=username).count()
    by_address = recent.filter(address=address).count() if address else 0
    return max(by_account, by_address) >= settings.LOGIN_FAILURES_ALLOWED


@receiver(user_login_failed)
def _count_failure(sender, credentials, request=None, **kwargs):
    LoginFailure.objects.create(
        username=(credentials.get("username") or "")[:254],
        address=client_address(request),
        at=timezone.now(),
    )
