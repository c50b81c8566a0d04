from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.utils.cache import add_never_cache_headers


def person_of(user):
    """The Person behind a logged-in user, or None: an account need not have one."""
    # The reverse one-to-one raises an AttributeError subclass when absent.
    return getattr(user, "person", None)


def member_view(view):
    """Login required; the view finds the acting person on `request.person`.

    Access to cases is still decided per case by secdesk.teams.access. Member
    pages may hold embargoed text, so no browser or proxy may keep a copy.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        request.person = person_of(request.user)
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapper
