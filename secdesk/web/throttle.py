"""Login throttling: too many failures for one account or from one address, and
further attempts are refused for a while. Counted in the database, so several
web processes count together."""

from datetime import timedelta
from ipaddress import IPv4Address, IPv6Address, ip_address

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from secdesk.teams.models import LoginFailure


def client_address(request) -> str | None:
    """The address a request came from, for every throttle: REMOTE_ADDR, or, when
    that is one of SECDESK_TRUSTED_PROXIES, the right-most X-Forwarded-For entry
    that is not itself a trusted proxy. Entries to the left of it were written
    by the client and prove nothing; from anyone else the header is ignored, so a
    forged one cannot choose whose count a request adds to."""
    if request is None:
        return None
    peer = _address(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    while _is_trusted_proxy(peer) and forwarded:
        hop = _address(forwarded.pop())
        if hop is None:
            # Not an address: the proxy that passed it on is as far as we can see.
            break
        peer = hop
    return str(peer)


def _address(text: str) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address(text.strip())
    except ValueError:
        return None
    # A dual-stack listener shows an IPv4 peer as ::ffff:a.b.c.d.
    return getattr(address, "ipv4_mapped", None) or address


def _is_trusted_proxy(address: IPv4Address | IPv6Address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)


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
