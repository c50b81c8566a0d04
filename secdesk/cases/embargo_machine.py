"""The embargo lifecycle (after Vultron's embargo management states; the policy
text is docs/policy.md and /security/#embargo).

none → proposed → active → revise → exited. A revision proposed while the
embargo is active leaves the end in force until it is accepted; rejecting it
returns to active. An embargo exits when it expires, when the issue becomes
public or is exploited, on publication, or by team decision. The policy checks
that go with these moves are in `policy.py`. The states are the members of
`EmbargoState`, the one list of them.
"""

from secdesk.cases.models import EmbargoState as S
from secdesk.lib.machine import Machine

EMBARGO = Machine(
    name="embargo",
    states=tuple(S.values),
    events=("propose", "accept", "reject", "agree", "object", "restart", "terminate"),
    table={
        (S.NONE, "propose"): S.PROPOSED,
        # A counter-proposal replaces the open one.
        (S.PROPOSED, "propose"): S.PROPOSED,
        (S.PROPOSED, "accept"): S.ACTIVE,
        (S.PROPOSED, "reject"): S.NONE,
        (S.PROPOSED, "agree"): S.PROPOSED,
        (S.PROPOSED, "object"): S.PROPOSED,
        (S.PROPOSED, "terminate"): S.EXITED,
        (S.ACTIVE, "propose"): S.REVISE,
        (S.ACTIVE, "restart"): S.ACTIVE,
        (S.ACTIVE, "terminate"): S.EXITED,
        (S.REVISE, "propose"): S.REVISE,
        (S.REVISE, "accept"): S.ACTIVE,
        (S.REVISE, "reject"): S.ACTIVE,
        (S.REVISE, "agree"): S.REVISE,
        (S.REVISE, "object"): S.REVISE,
        # A restart supersedes the pending revision: the clock starts afresh.
        (S.REVISE, "restart"): S.ACTIVE,
        (S.REVISE, "terminate"): S.EXITED,
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
IN_FORCE = (S.PROPOSED, S.ACTIVE, S.REVISE)
