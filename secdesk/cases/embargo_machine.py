"""The embargo lifecycle (after Vultron's embargo management states; the policy
text is docs/policy.md and /security/#embargo).

none → proposed → active → revise → exited. A revision proposed while the
embargo is active leaves the end in force until it is accepted; rejecting it
returns to active. An embargo exits when it expires, when the issue becomes
public or is exploited, on publication, or by team decision. The policy checks
that go with these moves are in `policy.py`.
"""

from secdesk.lib.machine import Machine

EMBARGO = Machine(
    name="embargo",
    states=("none", "proposed", "active", "revise", "exited"),
    events=("propose", "accept", "reject", "agree", "object", "restart", "terminate"),
    table={
        ("none", "propose"): "proposed",
        # A counter-proposal replaces the open one.
        ("proposed", "propose"): "proposed",
        ("proposed", "accept"): "active",
        ("proposed", "reject"): "none",
        ("proposed", "agree"): "proposed",
        ("proposed", "object"): "proposed",
        ("proposed", "terminate"): "exited",
        ("active", "propose"): "revise",
        ("active", "restart"): "active",
        ("active", "terminate"): "exited",
        ("revise", "propose"): "revise",
        ("revise", "accept"): "active",
        ("revise", "reject"): "active",
        ("revise", "agree"): "revise",
        ("revise", "object"): "revise",
        # A restart supersedes the pending revision: the clock starts afresh.
        ("revise", "restart"): "active",
        ("revise", "terminate"): "exited",
    },
    commands={
        "propose": "embargo propose",
        "accept": "embargo accept",
        "reject": "embargo reject",
        "agree": "embargo agree",
        "object": "embargo object",
        "restart": "embargo restart",
        "terminate": "embargo end",
    },
)

# States in which embargoed material must stay private.
IN_FORCE = ("proposed", "active", "revise")
