from django import template
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html

from secdesk.teams.access import projects_of
from secdesk.web import clock
from secdesk.web.decorators import person_of

register = template.Library()


@register.simple_tag
def moment(at):
    """An exact time in UTC; times.js adds the viewer's own zone beside it."""
    if at is None:
        return "—"
    return format_html(
        '<time class="moment" datetime="{}">{}</time>', clock.utc_iso(at), clock.utc_text(at)
    )


@register.simple_tag
def countdown(embargo_clock):
    """The time left, kept live by times.js."""
    return format_html(
        '<span class="countdown" data-until="{}">{}</span>',
        clock.utc_iso(embargo_clock.end_at),
        embargo_clock.text,
    )


@register.simple_tag(takes_context=True)
def viewer_projects(context):
    """The projects the viewer is an active member of, for the page header.

    The 500 page renders without a request, and an account need not have a person:
    no projects then.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    return projects_of(person_of(user) if user is not None else None)


@register.filter
def label(key: str) -> str:
    """An audit detail's key as words: "clock_start" reads "clock start"."""
    return key.replace("_", " ")


@register.simple_tag
def detail(value):
    """An audit detail's value: times as moments, flags as yes/no, the rest as text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and "T" in value:
        try:
            at = parse_datetime(value)
        except ValueError:
            at = None
        if at is not None and at.tzinfo is not None:
            return moment(at)
    return value


@register.simple_tag(takes_context=True)
def page_query(context, number, param="page"):
    """The query string of this page's address with `param` set to `number`:
    the other page's link keeps the search, the filters and the other pagers."""
    query = context["request"].GET.copy()
    query[param] = number
    return "?" + query.urlencode()
