"""Every action on a case asks the access module whether the acting member may
see it: one a restriction leaves them out of is refused as a case that does not
exist, whichever surface (or script) called the action (issue 14, Build 3)."""

import pytest
from django.db import transaction

from secdesk.advisories.actions import (
    do_assign_cve,
    do_assign_next_cve,
    do_edit_advisory,
    do_publish_case,
    do_release_cve,
)
from secdesk.cases.actions import embargo, reports, triage
from secdesk.cases.actions.restriction import do_restrict_case
from secdesk.errors import NotAllowed, NotFound
from secdesk.fixes.actions import do_mark_branch_not_affected, do_record_fix
from secdesk.mail import delivery, posts
from secdesk.outbox import queue
from secdesk.outbox.models import Outgoing, OutgoingMessage

CVSS = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"

STEPS = {
    "reply": lambda case, who: posts.do_post_reply(case, body="x", acting=who),
    "triage": lambda case, who: triage.do_record_triage(
        case, security_issue=True, reasoning="x", cvss3=CVSS, acting=who
    ),
    "close": lambda case, who: reports.do_close_report(case, reason="x", acting=who),
    "propose an embargo": lambda case, who: embargo.do_propose_embargo(case, days=5, acting=who),
    "assign a CVE id": lambda case, who: do_assign_cve(case, cve_id="CVE-2026-7001", acting=who),
    "assign the next CVE id": lambda case, who: do_assign_next_cve(case, acting=who),
    "edit the advisory": lambda case, who: do_edit_advisory(case, {"impact": "x"}, acting=who),
    "record a fix": lambda case, who: do_record_fix(
        case, branch="master", commit="abcdef1", acting=who
    ),
    "mark a branch not affected": lambda case, who: do_mark_branch_not_affected(
        case, branch="master", reason="x", acting=who
    ),
    "publish": lambda case, who: do_publish_case(case, acting=who),
}


@pytest.fixture
def hidden(new_case, alice, bob, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    case = new_case()
    triage.do_record_triage(case, security_issue=True, reasoning="x", cvss3=CVSS, acting=alice)
    do_restrict_case(case, emails=[bob.email], acting=alice)
    return case


@pytest.mark.parametrize("step", sorted(STEPS))
def test_a_member_left_out_is_refused_as_if_the_case_did_not_exist(hidden, carol, step):
    with pytest.raises(NotFound) as refused:
        STEPS[step](hidden, carol)
    assert refused.value.message == f"no case {hidden.reference} that you may see"


def test_a_member_left_out_cannot_release_the_cases_cve_id(hidden, alice, carol):
    cve = do_assign_cve(hidden, cve_id="CVE-2026-7002", acting=alice)

    with pytest.raises(NotAllowed) as refused:
        do_release_cve(cve.cve_id, acting=carol)

    assert hidden.reference not in refused.value.message
    cve.refresh_from_db()
    assert (cve.state, cve.case) == ("assigned", hidden)


def test_a_moderator_left_out_cannot_retry_mail_about_the_case(hidden, project, alice, dave):
    with transaction.atomic():
        row = queue.enqueue(
            project=project, to=[alice.email], subject="s", body="b", kind="team", case=hidden
        )
    OutgoingMessage.objects.filter(pk=row.pk).update(state=Outgoing.FAILED)

    with pytest.raises(NotFound) as refused:
        delivery.do_retry(row.pk, acting=dave)
    with pytest.raises(NotFound) as missing:
        delivery.do_retry(999999, acting=dave)

    assert refused.value.message.replace(str(row.pk), "N") == missing.value.message.replace(
        "999999", "N"
    )
    assert delivery.do_retry(row.pk, acting=alice).state == Outgoing.QUEUED
