"""The embargo calendar: a month of embargo ends, and each member's private ICS
feed of them.

Days are UTC days, as embargo ends are agreed in UTC; times.js adds the viewer's
own zone beside each time. The feed names a case only by its reference, never
its title: calendars sync to servers outside the team's control.
"""

import calendar as stdlib_calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from secdesk.cases.access import visible_cases
from secdesk.errors import NotAllowed, Refused
from secdesk.teams.access import is_team_member
from secdesk.web.calendar_feeds import (
    do_make_calendar_feed,
    do_revoke_calendar_feed,
    feed_person,
)
from secdesk.web.clock import IN_FORCE
from secdesk.web.decorators import member_view, public_view
from secdesk.web.models import CalendarFeed


@dataclass(frozen=True)
class Day:
    date: date
    in_month: bool
    today: bool
    ends: list


def _month(value: str, today: date) -> tuple[date, str]:
    """The first day of the asked month (`2026-12`), or of this month with why not."""
    if not value:
        return today.replace(day=1), ""
    try:
        first = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        return today.replace(day=1), f"{value!r} is not a month like 2026-12; showing this month."
    return first, ""


def _shift(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def embargo_ends(person, start: datetime | None = None, end: datetime | None = None):
    """Cases the person may see whose embargo in force ends in [start, end)."""
    cases = visible_cases(person).filter(embargo__state__in=IN_FORCE, embargo__end_at__isnull=False)
    if start is not None:
        cases = cases.filter(embargo__end_at__gte=start, embargo__end_at__lt=end)
    return cases.select_related("project", "embargo").order_by("embargo__end_at", "pk")


def _feed_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("calendar_feed", args=[token]))


def _page(request, *, feed_url: str = ""):
    today = timezone.now().astimezone(UTC).date()
    first, problem = _month(request.GET.get("month", ""), today)
    if problem:
        messages.warning(request, problem)
    following = _shift(first, 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(following, datetime.min.time(), tzinfo=UTC)
    cases = list(embargo_ends(request.person, start, end))
    by_day: dict[date, list] = {}
    for case in cases:
        by_day.setdefault(case.embargo.end_at.astimezone(UTC).date(), []).append(case)
    weeks = [
        [Day(d, d.month == first.month, d == today, by_day.get(d, [])) for d in week]
        for week in stdlib_calendar.Calendar().monthdatescalendar(first.year, first.month)
    ]
    feed = CalendarFeed.objects.filter(person=request.person).first() if request.person else None
    return render(
        request,
        "secdesk/calendar.html",
        {
            "first": first,
            "weeks": weeks,
            "weekdays": list(stdlib_calendar.day_abbr),
            "cases": cases,
            "previous": _shift(first, -1),
            "next": following,
            "this_month": today.replace(day=1),
            "feed": feed,
            "feed_url": feed_url,
            "may_have_feed": is_team_member(request.person),
        },
    )


@member_view
def month(request):
    return _page(request)


@member_view
@require_POST
def make_feed(request):
    try:
        token = do_make_calendar_feed(acting=request.person)
    except NotAllowed as refused:
        return render(request, "403.html", {"reason": refused.message}, status=403)
    # Shown this once: only the token's hash is kept.
    return _page(request, feed_url=_feed_url(request, token))


@member_view
@require_POST
def revoke_feed(request):
    try:
        do_revoke_calendar_feed(acting=request.person)
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Your calendar feed is revoked; its address no longer works.")
    return redirect("calendar")


@public_view
def feed(request, token):
    """The ICS feed: the token is the access decision. It lists what the member
    may see now, so removal from a team empties it at once."""
    person = feed_person(token)
    if person is None:
        raise Http404("no such calendar feed")
    # The site's name, not the request's: UIDs stay the same behind any web host.
    host = urlsplit(settings.SITE_URL).hostname or "secdesk"
    feed = icalendar.Calendar()
    feed.add("prodid", "-//secdesk//embargo calendar//EN")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("x-wr-calname", "secdesk embargo ends")
    stamp = timezone.now()
    for case in embargo_ends(person):
        event = icalendar.Event()
        event.add("uid", f"embargo-{case.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", case.embargo.end_at)
        event.add("summary", f"Embargo ends: {case.reference}")
        event.add("url", f"{settings.SITE_URL}{reverse('case', args=[case])}")
        feed.add_component(event)
    body = feed.to_ical()
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    add_never_cache_headers(response)
    return response
