"""Capabilities never reach a log: a path like /r/<token>/ lets whoever reads it
in as the reporter, a login link logs them in as its person, a calendar feed
shows embargo dates. Django logs the path of a refused or failed request
(`Forbidden (CSRF cookie not set.): /r/…/`); every log line passes through
`redact` on its way out.

A route whose path carries a capability names that part `<str:token>`, and is
listed here; the URL test fails for one that is not.
"""

import logging
import re
from functools import wraps

# (what comes before the token, what comes after it in the route)
CAPABILITY_PATHS = (
    ("/r/", ""),
    ("/login/once/", ""),
    ("/login/reset/", ""),
    ("/calendar/", ".ics"),
)

REDACTED = "<redacted>"

_TOKEN = re.compile(
    "|".join(
        rf"(?<={re.escape(before)})[^/?#\s'\"<>]+(?={re.escape(after)})"
        for before, after in CAPABILITY_PATHS
    )
)


def redact(text: str) -> str:
    """The text with every capability in a path replaced by <redacted>."""
    return _TOKEN.sub(REDACTED, text)


class RedactCapabilities(logging.Filter):
    """For a log handler: the message, its arguments and any traceback, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A malformed call: the formatter reports it, as it would have.
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def referer_without_path(view):
    """For a page whose path holds a capability: the browser fetches its styles
    and scripts with the site's origin alone as Referer, not the path, which
    would reach the access log of the proxy in front, the log its operator
    turned off for the page itself. Not "no-referrer": with it, a browser sends
    `Origin: null` with the page's form, and the CSRF check refuses it."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "strict-origin"
        return response

    return wrapper
