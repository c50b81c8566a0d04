"""The session check that ends a removed member's sessions."""

from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from secdesk.teams.models import Person

EPOCH_SESSION_KEY = "secdesk_epoch"


class SessionEpochMiddleware:
    """Ends a session that began before its person lost access.

    Removal from a team raises the person's session epoch; a session records the
    epoch it began in, and one that no longer matches is logged out on its next
    request, whatever project it was used for.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            person = getattr(user, "person", None)
            epoch = person.session_epoch if person is not None else 0
            started = request.session.setdefault(EPOCH_SESSION_KEY, epoch)
            if started != epoch:
                logout(request)
        return self.get_response(request)


@receiver(user_logged_in)
def remember_epoch(sender, request, user, **kwargs):
    """A new session begins in the person's current epoch (read afresh)."""
    epoch = Person.objects.filter(user=user).values_list("session_epoch", flat=True).first()
    request.session[EPOCH_SESSION_KEY] = epoch or 0
