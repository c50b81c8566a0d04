"""The embargo policy checks, called from inside the embargo actions. The policy
is docs/policy.md; each refusal points to the section of the project's security
page (/security/<project>/) that states the rule with the project's numbers.

Lengths are measured on the embargo clock: from its start (the first proposal,
or the last restart) to the proposed end. Up to the project's default length
an embargo needs one other member's acceptance; beyond it, it is an extension
that needs a written justification and the project's agreement rule; beyond
the maximum, nothing allows it.
"""

from datetime import datetime, timedelta

from secdesk.errors import BadInput, PolicyRefused
from secdesk.teams.models import Agreement, Policy


def policy_refused(policy: Policy, section: str, text: str) -> PolicyRefused:
    return PolicyRefused(f"embargo policy: {text} (see /security/{policy.project.slug}/#{section})")


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
        raise policy_refused(
            policy,
            "embargo-length",
            f"{_days(length_days(clock_start, end))} is longer than the "
            f"maximum of {policy.max_embargo_days} days",
        )
    extension = length > timedelta(days=policy.default_embargo_days)
    if extension and not justification.strip():
        raise policy_refused(
            policy,
            "embargo-extension",
            f"beyond {policy.default_embargo_days} days an embargo is an "
            "extension and needs a written justification",
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
            raise policy_refused(
                policy,
                "embargo-extension",
                f"the extension has {len(objections)} objection(s); "
                "it cannot be accepted until they are withdrawn or it is revised",
            )
        if len(approvers) < policy.agreement_approvals:
            raise policy_refused(
                policy,
                "embargo-extension",
                f"the extension needs {policy.agreement_approvals} approval(s) "
                f"from members other than the proposer; it has {len(approvers)}",
            )
        return
    if objections:
        raise policy_refused(
            policy,
            "embargo-extension",
            f"a member objected to the extension within "
            f"{policy.agreement_hours} h; it cannot be accepted",
        )
    waited_until = proposal.proposed_at + timedelta(hours=policy.agreement_hours)
    if now < waited_until:
        raise policy_refused(
            policy,
            "embargo-extension",
            f"an extension is agreed when no member objects within "
            f"{policy.agreement_hours} h; wait until {waited_until:%Y-%m-%d %H:%M} UTC",
        )


def check_restart(policy: Policy, embargo, *, faulty_fix) -> None:
    if faulty_fix is None:
        raise policy_refused(
            policy,
            "embargo-restart",
            "the clock restarts only when a fix is found faulty; "
            "record that first (secdesk case fix-faulty)",
        )
    if embargo.restarts >= policy.max_restarts:
        raise policy_refused(
            policy,
            "embargo-restart",
            f"the clock has been restarted {embargo.restarts} time(s); "
            f"the policy allows at most {policy.max_restarts}",
        )


def check_restart_length(policy: Policy, days: int) -> None:
    if not 1 <= days <= policy.default_embargo_days:
        raise policy_refused(
            policy,
            "embargo-restart",
            f"a restarted clock runs 1 to {policy.default_embargo_days} days; "
            "a longer embargo is an extension with a justification",
        )
