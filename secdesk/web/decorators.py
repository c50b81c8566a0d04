"""Every view states its access decision with one of these decorators.

The access-matrix test (secdesk/teams/tests/test_access_matrix.py) walks the URL
configuration and fails on any view without one, so a new page cannot be added
without deciding who may open it.

- public_view: anyone, logged in or not (published advisories, the login page).
- login_view: any logged-in account, e.g. an applicant accepting the policy, or
  someone setting up their second factor.
- member_view: a logged-in person who has passed the second factor if they are
  on any team or a site admin; which cases and projects they see is still decided per
  object by secdesk.cases.access and secdesk.teams.access.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode

from secdesk.teams.access import is_site_admin, is_team_member


def person_of(user):
    """The Person behind a logged-in user, or None: an account need not have one."""
    # The reverse one-to-one raises an AttributeError subclass when absent.
    return getattr(user, "person", None)


def _decided(view, access: str):
    view.access = access
    return view


def public_view(view):
    return _decided(view, "public")


def login_view(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        request.person = person_of(request.user)
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return _decided(wrapper, "login")


def needs_second_factor(request) -> bool:
    """A team member, or a site admin (who may reset anyone's login factors), who
    has not passed the second factor in this session."""
    if request.user.is_verified():
        return False
    return is_site_admin(request.person) or is_team_member(request.person)


def member_view(view):
    """Login and, for anyone who may see embargoed material, the second factor.

    Member pages may hold embargoed text, so no browser or proxy may keep a copy.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        request.person = person_of(request.user)
        if needs_second_factor(request):
            return redirect_to_second_factor(request)
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return _decided(wrapper, "member")


def redirect_to_second_factor(request):
    return redirect(f"{reverse('second_factor')}?{urlencode({'next': request.get_full_path()})}")
