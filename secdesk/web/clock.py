"""How an embargo's end reads on a page: the countdown text and how urgent it is.

The page shows these server-rendered; static/secdesk/times.js redoes the same
arithmetic in the browser so the countdown stays live.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from secdesk.cases.models import Embargo, EmbargoState

# An embargo that ends within this time is flagged so nobody is surprised by it.
SOON = timedelta(hours=48)

IN_FORCE = (EmbargoState.ACTIVE, EmbargoState.REVISE)


@dataclass(frozen=True)
class EmbargoClock:
    end_at: datetime
    text: str
    # "overdue": the end has passed but the embargo was not exited; "soon": ends
    # within SOON; "" otherwise.
    urgency: str


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def span(delta: timedelta) -> str:
    """A duration in its two largest units: "9 days 4 hours", "3 hours 5 minutes"."""
    minutes = int(abs(delta).total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        parts = [_plural(days, "day")] + ([_plural(hours, "hour")] if hours else [])
    elif hours:
        parts = [_plural(hours, "hour")] + ([_plural(minutes, "minute")] if minutes else [])
    elif minutes:
        parts = [_plural(minutes, "minute")]
    else:
        return "less than a minute"
    return " ".join(parts)


def countdown(end_at: datetime, now: datetime) -> str:
    if end_at > now:
        return f"{span(end_at - now)} left"
    return f"ended {span(now - end_at)} ago"


def embargo_clock(embargo: Embargo | None, now: datetime) -> EmbargoClock | None:
    """The clock of an embargo in force; None when there is no end in force."""
    if embargo is None or embargo.end_at is None or embargo.state not in IN_FORCE:
        return None
    if embargo.end_at <= now:
        urgency = "overdue"
    elif embargo.end_at - now <= SOON:
        urgency = "soon"
    else:
        urgency = ""
    return EmbargoClock(embargo.end_at, countdown(embargo.end_at, now), urgency)


def utc_text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M UTC")


def utc_iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
