"""A member's consent to the embargo policy.

invited → signatory | declined. A changed policy lapses every signatory's
consent until they accept the new version.
"""

from secdesk.lib.machine import Machine

CONSENT = Machine(
    name="consent",
    states=("invited", "signatory", "declined", "lapsed"),
    events=("accept", "decline", "lapse"),
    table={
        ("invited", "accept"): "signatory",
        ("invited", "decline"): "declined",
        ("signatory", "lapse"): "lapsed",
        ("lapsed", "accept"): "signatory",
        ("lapsed", "decline"): "declined",
    },
    commands={"accept": "member accept-policy", "decline": "member decline-policy"},
)
