"""The report lifecycle (after Vultron's report management states; the policy
text is docs/policy.md).

received → (held) → valid | invalid → accepted | deferred → closed.
Duplicates are deferred with a link, never invalid; nothing is closed straight
from valid: the team first accepts or defers it.
"""

from secdesk.lib.machine import Machine

REPORT = Machine(
    name="report",
    states=("received", "held", "valid", "invalid", "accepted", "deferred", "closed"),
    events=("hold", "validate", "invalidate", "accept", "defer", "mark_duplicate", "close"),
    table={
        ("received", "hold"): "held",
        ("received", "validate"): "valid",
        ("received", "invalidate"): "invalid",
        ("held", "validate"): "valid",
        ("held", "invalidate"): "invalid",
        # A report judged invalid can be reconsidered, or closed.
        ("invalid", "validate"): "valid",
        ("invalid", "close"): "closed",
        ("valid", "accept"): "accepted",
        ("valid", "defer"): "deferred",
        ("valid", "mark_duplicate"): "deferred",
        ("accepted", "defer"): "deferred",
        ("accepted", "mark_duplicate"): "deferred",
        ("accepted", "close"): "closed",
        ("deferred", "accept"): "accepted",
        ("deferred", "close"): "closed",
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
OPEN_STATES = ("valid", "accepted")
