"""Unambiguous times: every time secdesk accepts names its zone, and is stored in UTC."""

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

from secdesk.errors import BadInput

_EXAMPLE = "e.g. 2026-12-10T14:00Z or 2026-12-10 14:00+01:00"


def parse_when(text: str) -> datetime:
    """An ISO 8601 date and time with a zone (Z, UTC or an offset), as UTC.

    A date alone or a time without a zone is refused: an embargo end must mean
    the same instant to every member, whatever their zone.
    """
    value = text.strip()
    value = re.sub(r"\s*UTC$", "Z", value, flags=re.IGNORECASE)
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(
            f"malformed date {text!r}: give a date, a time and a zone, {_EXAMPLE}"
        ) from None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise BadInput(f"date {text!r} has no time of day: give a time and a zone, {_EXAMPLE}")
    if when.tzinfo is None:
        raise BadInput(f"date {text!r} has no zone: add Z for UTC or an offset, {_EXAMPLE}")
    return when.astimezone(UTC)


def stamp(when: datetime) -> str:
    """The one way a published document writes a time: UTC to the second,
    e.g. 2026-12-10T14:00:05Z. Cutting every time the same way keeps their
    order: a time derived from a later one never reads as earlier, whichever
    format carries it (and HTML's <time> accepts it)."""
    return when.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def days_from(start: datetime, days: int) -> datetime:
    return start + timedelta(days=days)


def countdown(end: datetime, now: datetime) -> str:
    """ "9 days 4 hours left", "3 hours 5 minutes left", or "ended 2 days ago"."""
    delta = end - now
    past = delta.total_seconds() < 0
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        parts = [
            f"{days} day" + ("s" if days != 1 else ""),
            f"{hours} hour" + ("s" if hours != 1 else ""),
        ]
    elif hours:
        parts = [
            f"{hours} hour" + ("s" if hours != 1 else ""),
            f"{minutes} minute" + ("s" if minutes != 1 else ""),
        ]
    else:
        parts = [f"{minutes} minute" + ("s" if minutes != 1 else "")]
    return ("ended " + " ".join(parts) + " ago") if past else (" ".join(parts) + " left")


# The areas of the tz database's geographic zones (Area/Location).
ZONE_AREAS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


def offered_zones() -> list[str]:
    """The zones a person picks from: UTC first, then every Area/Location zone
    of the tz database (Europe/Berlin, America/Argentina/Salta), sorted. Left
    out are the names kept for old systems — Factory, localtime, posixrules,
    the posix/ and right/ trees, Etc/GMT+5 (whose sign is backwards), country
    and abbreviation aliases such as US/Eastern, GB or EST5EDT — which name no
    place, or a place better named by its Area/Location zone."""
    areas = tuple(f"{area}/" for area in ZONE_AREAS)
    return [
        "UTC",
        *sorted(name for name in zoneinfo.available_timezones() if name.startswith(areas)),
    ]
