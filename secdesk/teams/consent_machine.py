"""A member's consent to the embargo policy.

invited → signatory | declined. A changed policy lapses every signatory's
consent until they accept the new version. The states are the members of
`Consent`, the one list of them.
"""

from secdesk.lib.machine import Machine
from secdesk.teams.models import Consent as S

CONSENT = Machine(
    name="consent",
    states=tuple(S.values),
    events=("accept", "decline", "lapse"),
    table={
        (S.INVITED, "accept"): S.SIGNATORY,
        (S.INVITED, "decline"): S.DECLINED,
        (S.SIGNATORY, "lapse"): S.LAPSED,
        (S.LAPSED, "accept"): S.SIGNATORY,
        (S.LAPSED, "decline"): S.DECLINED,
    },
    commands={"accept": "member accept-policy", "decline": "member decline-policy"},
)
