"""The chains: which rule's match leads where, as tables (after Mailman 3).

The intake chain is read top to bottom; the first rule that matches with a
final action decides. DEFER records the rule's reason and reads on, so a held
message carries every reason a moderator should see. Approval later re-enters
delivery, not the rules.
"""

from dataclasses import dataclass, field

from secdesk.mail.rules import RULES, Incoming

ACCEPT, HOLD, DISCARD, QUARANTINE, DEFER = "accept", "hold", "discard", "quarantine", "defer"

# A mail joins a case only through a reply address, as its live holder: the
# reporter, or a member authenticated as that same member. Whatever else names
# a case (a dead or mismatched reply address, In-Reply-To) holds it. A message
# that no rule decides is held.
INTAKE = (
    ("unparseable", QUARANTINE),
    ("no_sender", QUARANTINE),
    ("loop", DISCARD),
    ("dead_reply_address", HOLD),
    ("reply_address_mismatch", HOLD),
    # A copy of a message read already, after the holds of reply addresses
    # (whose reasons a moderator must see) and before anything accepts it.
    ("already_received", DISCARD),
    ("copy_of_held", DEFER),
    ("member_reply_address", ACCEPT),
    ("authenticated_member", ACCEPT),
    ("threaded_to_case", DEFER),
    ("suspected_spam", HOLD),
    ("auto_submitted", HOLD),
    ("from_a_robot", HOLD),
    ("bad_signature", DEFER),
    ("reply_address_unauthenticated", HOLD),
    ("claims_membership", HOLD),
    ("reporter_reply_address", ACCEPT),
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

    def add(self, rule: str, reason: str | dict) -> None:
        found = reason if isinstance(reason, dict) else {"reason": reason}
        self.reasons.append({"rule": rule, **found})


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
