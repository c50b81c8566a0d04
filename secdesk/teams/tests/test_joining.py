"""Joining the team: request → vouch → approve → accept the policy."""

import pytest

from secdesk.cases.access import can_see_case, visible_cases
from secdesk.errors import NotAllowed, NotFound, Refused
from secdesk.teams import joining
from secdesk.teams.access import active_membership
from secdesk.teams.actions import (
    do_accept_policy,
    do_decline_policy,
    do_set_policy,
    person_by_email,
)
from secdesk.teams.models import Consent, JoinRequest, Membership

APPLICANT = "erin@ubuntu.example"


@pytest.fixture
def requested(project):
    return joining.do_request_membership(
        project,
        email=APPLICANT,
        name="Erin",
        organisation="Ubuntu Security",
        statement="I handle the package's security updates; bob knows me.",
    )


def test_a_vouched_and_approved_applicant_joins_by_accepting_the_policy(
    project, requested, alice, bob, new_case
):
    case = new_case()
    joining.do_vouch(project, email=APPLICANT, statement="worked with Erin for years", acting=bob)
    membership = joining.do_approve_request(project, email=APPLICANT, acting=alice)
    assert membership.consent == Consent.INVITED
    assert membership.vouched_by == bob
    erin = person_by_email(APPLICANT)
    assert not can_see_case(erin, case), "nobody sees anything before accepting the policy"
    assert erin.user is not None, "approval gives the applicant a login"
    do_accept_policy(project, acting=erin)
    membership.refresh_from_db()
    assert (membership.consent, membership.consent_version) == (Consent.SIGNATORY, 1)
    assert membership.organisation == "Ubuntu Security"
    assert can_see_case(erin, case)
    requested.refresh_from_db()
    assert requested.state == JoinRequest.State.JOINED


def test_approval_waits_for_the_policys_vouches(project, requested, alice):
    with pytest.raises(Refused, match=r"0 vouch.*needs 1"):
        joining.do_approve_request(project, email=APPLICANT, acting=alice)


def test_only_an_admin_approves(project, requested, bob, carol):
    joining.do_vouch(project, email=APPLICANT, acting=bob)
    with pytest.raises(NotAllowed, match="admin"):
        joining.do_approve_request(project, email=APPLICANT, acting=carol)


def test_a_member_vouches_once(project, requested, bob):
    joining.do_vouch(project, email=APPLICANT, acting=bob)
    with pytest.raises(Refused, match="already vouched"):
        joining.do_vouch(project, email=APPLICANT, acting=bob)


def test_someone_outside_the_team_cannot_vouch(project, requested, charlie):
    with pytest.raises(NotAllowed):
        joining.do_vouch(project, email=APPLICANT, acting=charlie)


def test_declining_the_policy_ends_the_request(project, requested, alice, bob):
    joining.do_vouch(project, email=APPLICANT, acting=bob)
    joining.do_approve_request(project, email=APPLICANT, acting=alice)
    erin = person_by_email(APPLICANT)
    do_decline_policy(project, acting=erin)
    requested.refresh_from_db()
    assert requested.state == JoinRequest.State.DECLINED
    assert Membership.objects.get(person=erin).consent == Consent.DECLINED
    assert active_membership(erin, project) is None


def test_a_policy_change_lapses_consent_until_accepted_again(project, alice, bob, new_case):
    case = new_case()
    do_set_policy(project, {"max_embargo_days": "21"}, acting=alice)
    assert not can_see_case(bob, case), "a lapsed member sees nothing until re-accepting"
    assert can_see_case(alice, case), "the admin who changed it accepted it by doing so"
    membership = do_accept_policy(project, acting=bob)
    assert membership.consent_version == 2
    assert can_see_case(bob, case)


def test_a_rejected_applicant_may_ask_again_later(project, requested, alice):
    joining.do_reject_request(project, email=APPLICANT, reason="not a vendor", acting=alice)
    again = joining.do_request_membership(
        project, email=APPLICANT, organisation="Ubuntu", statement="now with a vendor"
    )
    assert again.state == JoinRequest.State.PENDING


def test_a_removed_member_loses_access_at_once(project, alice, bob, new_case):
    case = new_case()
    joining.do_remove_member(project, email=bob.email, reason="left the vendor", acting=alice)
    bob.refresh_from_db()
    assert not can_see_case(bob, case)
    assert bob.session_epoch == 1
    assert case not in visible_cases(bob)


def test_the_last_admin_cannot_be_removed(project, root, alice):
    joining.do_remove_member(project, email=root.email, reason="handover", acting=alice)
    with pytest.raises(Refused, match="last admin"):
        joining.do_remove_member(project, email=alice.email, reason="x", acting=alice)


def test_a_case_restricted_to_some_members_is_hidden_from_the_others(
    project, alice, bob, carol, new_case
):
    from secdesk.cases.access import case_audience
    from secdesk.cases.actions.restriction import do_restrict_case

    case = new_case()
    do_restrict_case(case, emails=[bob.email], acting=alice)
    assert can_see_case(bob, case) and can_see_case(alice, case)
    assert not can_see_case(carol, case)
    assert case not in visible_cases(carol)
    assert set(case_audience(case)) == {alice, bob}
    from secdesk.cases.actions import embargo

    with pytest.raises(NotFound, match=f"no case {case.reference} that you may see"):
        embargo.do_propose_embargo(case, days=5, acting=carol)


def test_a_request_mails_no_one_and_the_approved_applicant_gets_a_login_link(project, alice, bob):
    from secdesk.outbox.models import OutgoingMessage

    joining.do_request_membership(
        project, email=APPLICANT, organisation="Ubuntu Security", statement="Bob knows me."
    )
    assert not OutgoingMessage.objects.exists(), "the admins hear of it in their digest"
    assert joining.announce_join_requests() == 1
    digests = OutgoingMessage.objects.filter(kind="join-digest")
    assert sorted(d.to[0] for d in digests) == sorted(["root@example.org", alice.email])
    joining.do_vouch(project, email=APPLICANT, acting=bob)
    joining.do_approve_request(project, email=APPLICANT, acting=alice)
    welcome = OutgoingMessage.objects.get(kind="join-approved")
    assert welcome.to == [APPLICANT]
    assert "/login/once/" in welcome.body and "/projects/libvirt/policy/" in welcome.body
