"""The report lifecycle (after Vultron's report management states; the policy
text is docs/policy.md).

received → (held) → valid | invalid → accepted | deferred → closed.
Duplicates are deferred with a link, never invalid; nothing is closed straight
from valid: the team first accepts or defers it. The states are the members
of `ReportState`, the one list of them.
"""

from secdesk.cases.models import ReportState as S
from secdesk.lib.machine import Machine

REPORT = Machine(
    name="report",
    states=tuple(S.values),
    events=("hold", "validate", "invalidate", "accept", "defer", "mark_duplicate", "close"),
    table={
        (S.RECEIVED, "hold"): S.HELD,
        (S.RECEIVED, "validate"): S.VALID,
        (S.RECEIVED, "invalidate"): S.INVALID,
        (S.HELD, "validate"): S.VALID,
        (S.HELD, "invalidate"): S.INVALID,
        # A report judged invalid can be reconsidered, or closed.
        (S.INVALID, "validate"): S.VALID,
        (S.INVALID, "close"): S.CLOSED,
        (S.VALID, "accept"): S.ACCEPTED,
        (S.VALID, "defer"): S.DEFERRED,
        (S.VALID, "mark_duplicate"): S.DEFERRED,
        (S.ACCEPTED, "defer"): S.DEFERRED,
        (S.ACCEPTED, "mark_duplicate"): S.DEFERRED,
        (S.ACCEPTED, "close"): S.CLOSED,
        (S.DEFERRED, "accept"): S.ACCEPTED,
        (S.DEFERRED, "close"): S.CLOSED,
    },
    commands={
        "hold": "case hold",
        "validate": "case validate",
        "invalidate": "case invalidate",
        "accept": "case accept",
        "defer": "case defer",
        "mark_duplicate": "case duplicate",
        "close": "case close",
    },
)

# States in which the team works the case: triage, embargo, CVE, fixes.
OPEN_STATES = (S.VALID, S.ACCEPTED)
