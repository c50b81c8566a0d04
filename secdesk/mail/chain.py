"""The chains: which rule's match leads where, as tables (after Mailman 3).

The intake chain is read top to bottom; the first rule that matches with a
final action decides. DEFER records the rule's reason and reads on, so a held
message carries every reason a moderator should see. Approval later re-enters
delivery, not the rules.
"""

from dataclasses import dataclass, field

from secdesk.mail.rules import RULES, Incoming

ACCEPT, HOLD, DISCARD, QUARANTINE, DEFER = "accept", "hold", "discard", "quarantine", "defer"

INTAKE = (
    ("unparseable", QUARANTINE),
    ("no_sender", QUARANTINE),
    ("loop", DISCARD),
    ("authenticated_member", ACCEPT),
    ("suspected_spam", HOLD),
    ("auto_submitted", HOLD),
    ("from_a_robot", HOLD),
    ("reporter_of_case", ACCEPT),
    ("bad_signature", DEFER),
    ("claims_membership", DEFER),
    ("not_a_member", HOLD),
)

# RFC 3834: a held report is acknowledged unless one of these matches.
NO_ACKNOWLEDGEMENT = (
    "suspected_spam",
    "auto_submitted",
    "bulk_or_list",
    "from_a_robot",
    "acknowledged_enough_today",
)


@dataclass
class Decision:
    action: str
    reasons: list[dict] = field(default_factory=list)

    def add(self, rule: str, reason: str) -> None:
        self.reasons.append({"rule": rule, "reason": reason})


def decide(msg: Incoming) -> Decision:
    decision = Decision(HOLD)
    for name, action in INTAKE:
        reason = RULES[name].check(msg)
        if reason is None:
            continue
        decision.add(name, reason)
        if action != DEFER:
            decision.action = action
            return decision
    return decision


def acknowledgement_refused(msg: Incoming) -> list[dict]:
    """Why no automatic reply may go out; empty when one may."""
    found = []
    for name in NO_ACKNOWLEDGEMENT:
        reason = RULES[name].check(msg)
        if reason is not None:
            found.append({"rule": name, "reason": reason})
    return found
