"""The embargo policy checks (SPEC §2.6), called from inside the embargo actions.

Lengths are measured on the embargo clock: from its start (the first proposal,
or the last restart) to the proposed end. Up to the project's default length
an embargo needs one other member's acceptance; beyond it, it is an extension
that needs a written justification and the project's agreement rule; beyond
the maximum, nothing allows it.
"""

from datetime import datetime, timedelta

from secdesk.errors import BadInput, PolicyRefused
from secdesk.teams.models import Agreement, Policy


def length_days(start: datetime, end: datetime) -> float:
    return (end - start) / timedelta(days=1)


def _days(value: float) -> str:
    whole = round(value, 1)
    return f"{whole:g} day" + ("" if whole == 1 else "s")


def check_end(
    policy: Policy, *, clock_start: datetime, end: datetime, now: datetime, justification: str
) -> bool:
    """Refuse an end the policy does not allow; return whether it is an extension."""
    if end <= now:
        raise BadInput(f"the embargo end {end:%Y-%m-%d %H:%M} UTC is not in the future")
    length = end - clock_start
    if length > timedelta(days=policy.max_embargo_days):
        raise PolicyRefused(
            f"embargo policy: {_days(length_days(clock_start, end))} is longer than the "
            f"maximum of {policy.max_embargo_days} days (§2.6)"
        )
    extension = length > timedelta(days=policy.default_embargo_days)
    if extension and not justification.strip():
        raise PolicyRefused(
            f"embargo policy: beyond {policy.default_embargo_days} days an embargo is an "
            "extension and needs a written justification (§2.6)"
        )
    return extension


def check_agreement(policy: Policy, proposal, *, now: datetime, accepting_person) -> None:
    """Refuse to accept an extension until the team has agreed under the policy's rule.

    The accepting member's own acceptance counts as an approval.
    """
    votes = list(proposal.votes.all())
    objections = [v for v in votes if not v.approve]
    if policy.agreement == Agreement.APPROVALS:
        approvers = {v.person_id for v in votes if v.approve} | {accepting_person.pk}
        approvers.discard(proposal.proposed_by_id)
        if objections:
            raise PolicyRefused(
                f"embargo policy: the extension has {len(objections)} objection(s); "
                "it cannot be accepted until they are withdrawn or it is revised (§2.6)"
            )
        if len(approvers) < policy.agreement_approvals:
            raise PolicyRefused(
                f"embargo policy: the extension needs {policy.agreement_approvals} approval(s) "
                f"from members other than the proposer; it has {len(approvers)} (§2.6)"
            )
        return
    if objections:
        raise PolicyRefused(
            f"embargo policy: a member objected to the extension within "
            f"{policy.agreement_hours} h; it cannot be accepted (§2.6)"
        )
    waited_until = proposal.proposed_at + timedelta(hours=policy.agreement_hours)
    if now < waited_until:
        raise PolicyRefused(
            f"embargo policy: an extension is agreed when no member objects within "
            f"{policy.agreement_hours} h; wait until {waited_until:%Y-%m-%d %H:%M} UTC (§2.6)"
        )


def check_restart(policy: Policy, embargo, *, faulty_fix) -> None:
    if faulty_fix is None:
        raise PolicyRefused(
            "embargo policy: the clock restarts only when a fix is found faulty; "
            "record that first (secdesk case fix-faulty) (§2.6)"
        )
    if embargo.restarts >= policy.max_restarts:
        raise PolicyRefused(
            f"embargo policy: the clock has been restarted {embargo.restarts} time(s); "
            f"the policy allows at most {policy.max_restarts} (§2.6)"
        )


def check_restart_length(policy: Policy, days: int) -> None:
    if not 1 <= days <= policy.default_embargo_days:
        raise PolicyRefused(
            f"embargo policy: a restarted clock runs 1 to {policy.default_embargo_days} days; "
            "a longer embargo is an extension with a justification (§2.6)"
        )
