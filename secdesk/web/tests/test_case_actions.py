"""Working a case from its page: each form posts, the action runs, and the page
comes back with the change, or with the refusal in the form's panel."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction

from secdesk.advisories.embargo_end import publish_due
from secdesk.advisories.models import Advisory
from secdesk.cases.capabilities import reporter_link_token
from secdesk.cases.models import (
    Case,
    Embargo,
    EmbargoProposal,
    EmbargoState,
    Message,
    ProposalState,
    ReportState,
)
from secdesk.outbox.models import OutgoingMessage
from secdesk.web.tests.conftest import NOW, join, make_person

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def carol(libvirt):
    from secdesk.teams.models import Role

    person = make_person("carol@example.org", "Carol Member")
    join(person, libvirt, Role.MEMBER)
    return person


@pytest.fixture
def fresh_case(libvirt, alice, case):
    """An accepted case with no embargo yet."""
    fresh = Case.objects.create(
        project=libvirt,
        number=2,
        title="Heap overflow in the QEMU monitor parser",
        reporter=case.reporter,
        state=ReportState.ACCEPTED,
        received_at=NOW - timedelta(hours=2),
    )
    Embargo.objects.create(case=fresh, state=EmbargoState.NONE)
    return fresh


def post(client, case, step, data):
    """POST as the browser does from the case page: with its CSRF token."""
    if "csrftoken" not in client.cookies:
        client.get(f"/cases/{case.project.slug}/{case.number}/")
    token = client.cookies["csrftoken"].value
    return client.post(
        f"/cases/{case.project.slug}/{case.number}/{step}/", {**data, "csrfmiddlewaretoken": token}
    )


def page(client, case, query=""):
    return client.get(f"/cases/{case.project.slug}/{case.number}/{query}").content.decode()


def test_a_member_defers_the_report_from_its_panel_with_a_reason(login_as, bob, case):
    client = login_as(bob)
    shown = page(client, case)
    assert 'value="defer"' in shown and 'value="close"' in shown and 'value="hold"' not in shown
    refused = post(client, case, "move", {"step": "defer"})
    assert refused.status_code == 400
    assert "to defer a report, give a reason" in refused.content.decode()
    assert (
        post(client, case, "move", {"step": "defer", "reason": "fixed upstream"}).status_code == 302
    )
    case.refresh_from_db()
    assert case.state == ReportState.DEFERRED and case.state_reason == "fixed upstream"
    assert "fixed upstream" in page(client, case)


def test_reply_goes_to_every_member_and_the_reporter(login_as, alice, bob, case):
    response = post(login_as(bob), case, "reply", {"body": "Can you share the crash log?"})
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.project.slug}/{case.number}/#thread"
    message = Message.objects.get(case=case)
    assert (message.author, message.internal) == (bob, False)
    rows = OutgoingMessage.objects.filter(case_message=message)
    assert sorted(a for row in rows for a in row.to) == sorted(
        [alice.email, bob.email, "reporter@example.net"]
    )


def test_internal_note_stays_with_the_team_and_off_the_reporter_page(
    login_as, client, alice, bob, case
):
    post(login_as(bob), case, "reply", {"body": "Looks like a dup of #12", "internal": "on"})
    message = Message.objects.get(case=case)
    assert message.internal
    team = OutgoingMessage.objects.filter(case_message=message)
    assert sorted(a for row in team for a in row.to) == [alice.email, bob.email]
    assert "internal note, not sent to the reporter" in page(login_as(alice), case)
    with transaction.atomic():
        link = reporter_link_token(case)
    assert "Looks like a dup" not in client.get(f"/r/{link}/").content.decode()


def test_empty_reply_is_refused_in_the_thread_panel(login_as, bob, case):
    response = post(login_as(bob), case, "reply", {"body": "  "})
    assert response.status_code == 400
    body = response.content.decode()
    assert '<p class="notice notice-error" role="alert">a reply needs a text</p>' in body
    assert not Message.objects.filter(case=case).exists()


def test_triage_composes_the_cvss_vector_from_the_selects(login_as, bob, case):
    metrics = dict(AV="N", AC="L", PR="L", UI="N", S="U", C="N", I="N", A="H")
    form = {f"cvss3_{metric}": value for metric, value in metrics.items()}
    form.update(security_issue="yes", reasoning="A read-only client can crash the daemon.")
    assert post(login_as(bob), case, "triage", form).status_code == 302
    case.refresh_from_db()
    assert case.is_security_issue is True
    assert case.cvss3_vector == "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H"
    assert str(case.cvss3_score) == "6.5"
    body = page(login_as(bob), case)
    assert '<option value="H" selected>High (H)</option>' in body


def test_half_a_cvss_vector_is_refused_naming_what_is_missing(login_as, bob, case):
    form = {"cvss3_AV": "N", "cvss3_AC": "L", "security_issue": "yes", "reasoning": "x"}
    response = post(login_as(bob), case, "triage", form)
    assert response.status_code == 400
    body = response.content.decode()
    assert "CVSS 3.1: choose every base metric; missing: Privileges required" in body
    # The choices made survive the refusal.
    assert '<option value="N" selected>Network (N)</option>' in body
    case.refresh_from_db()
    assert case.triaged_at is None


def test_triage_takes_a_cvss_4_vector_as_text(login_as, bob, case):
    vector = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    form = {"security_issue": "yes", "reasoning": "remote code execution", "cvss4": vector}
    assert post(login_as(bob), case, "triage", form).status_code == 302
    case.refresh_from_db()
    assert (case.cvss4_vector, case.cvss3_vector) == (vector, "")


def test_embargo_end_in_a_zone_is_proposed_in_utc(login_as, bob, fresh_case):
    form = {"step": "propose", "end": "2026-03-12T09:00", "zone": "Europe/Berlin"}
    assert post(login_as(bob), fresh_case, "embargo", form).status_code == 302
    proposal = EmbargoProposal.objects.get(embargo__case=fresh_case)
    assert proposal.end_at == datetime(2026, 3, 12, 8, 0, tzinfo=UTC)
    assert not proposal.is_extension


def test_embargo_end_without_a_zone_is_refused(login_as, bob, fresh_case):
    form = {"step": "propose", "end": "2026-03-12T09:00", "zone": ""}
    response = post(login_as(bob), fresh_case, "embargo", form)
    assert response.status_code == 400
    assert "the embargo end needs its time zone" in response.content.decode()
    assert not EmbargoProposal.objects.filter(embargo__case=fresh_case).exists()


def test_proposal_is_accepted_by_another_member_and_counts_down(login_as, alice, bob, fresh_case):
    post(login_as(bob), fresh_case, "embargo", {"step": "propose", "days": "10"})
    own = page(login_as(bob), fresh_case)
    assert 'value="accept"' not in own
    assert "You proposed this; another member accepts it." in own
    assert post(login_as(alice), fresh_case, "embargo", {"step": "accept"}).status_code == 302
    fresh_case.embargo.refresh_from_db()
    assert fresh_case.embargo.state == EmbargoState.ACTIVE
    assert "10 days left" in page(login_as(bob), fresh_case)


def test_the_proposer_accepting_their_own_proposal_is_forbidden(login_as, bob, fresh_case):
    post(login_as(bob), fresh_case, "embargo", {"step": "propose", "days": "10"})
    response = post(login_as(bob), fresh_case, "embargo", {"step": "accept"})
    assert response.status_code == 403
    assert "another member than its proposer" in response.content.decode()


def test_embargo_buttons_are_those_the_embargo_machine_allows(login_as, bob, case):
    body = page(login_as(bob), case)
    section = body[body.index('id="embargo"') : body.index('id="triage"')]
    assert "Propose a new end (extend)" in section
    assert 'value="restart"' in section
    assert 'value="end"' in section
    assert 'value="accept"' not in section
    assert "Restarts used: 0 of 1." in section


def test_extension_without_justification_is_refused_with_the_policy_rule(login_as, bob, case):
    response = post(login_as(bob), case, "embargo", {"step": "propose", "days": "20"})
    assert response.status_code == 400
    assert "beyond 14 days an embargo is an extension and needs a written justification" in (
        response.content.decode()
    )


def test_extension_waits_for_the_team_to_agree(login_as, alice, bob, carol, case):
    form = {"step": "propose", "days": "20", "justification": "Three stable branches."}
    post(login_as(alice), case, "embargo", form)
    assert post(login_as(carol), case, "embargo", {"step": "agree"}).status_code == 302
    assert 'value="agree"' not in page(login_as(carol), case)
    post(login_as(bob), case, "embargo", {"step": "accept"})
    case.embargo.refresh_from_db()
    assert case.embargo.end_at == NOW + timedelta(days=20)


def test_objecting_needs_a_reason(login_as, alice, bob, case):
    form = {"step": "propose", "days": "20", "justification": "Three stable branches."}
    post(login_as(alice), case, "embargo", form)
    response = post(login_as(bob), case, "embargo", {"step": "object", "reason": ""})
    assert response.status_code == 400
    assert "an objection needs its reason" in response.content.decode()


def test_fix_found_faulty_lets_the_clock_restart_once(login_as, bob, case):
    client = login_as(bob)
    form = {"step": "faulty", "reason": "the patch misses the second caller"}
    assert post(client, case, "facts", form).status_code == 302
    assert post(client, case, "embargo", {"step": "restart", "days": "7"}).status_code == 302
    case.embargo.refresh_from_db()
    assert (case.embargo.restarts, case.embargo.end_at) == (1, NOW + timedelta(days=7))
    again = post(client, case, "embargo", {"step": "restart"})
    assert again.status_code == 400
    assert "the clock restarts only when a fix is found faulty" in again.content.decode()


def test_ending_the_embargo_by_decision(login_as, bob, case):
    response = post(login_as(bob), case, "embargo", {"step": "end", "reason": "fixed upstream"})
    assert response.status_code == 302
    case.embargo.refresh_from_db()
    assert case.embargo.state == EmbargoState.EXITED
    assert case.embargo.exit_reason == "decision: fixed upstream"


def test_setting_a_fact_is_one_way(login_as, bob, case):
    client = login_as(bob)
    assert post(client, case, "facts", {"step": "set", "fact": "vendor-aware"}).status_code == 302
    again = post(client, case, "facts", {"step": "set", "fact": "vendor-aware"})
    assert again.status_code == 400
    assert "vendor-aware is already set, and facts are one-way" in again.content.decode()


def test_public_fact_ends_the_embargo(login_as, bob, case):
    post(login_as(bob), case, "facts", {"step": "set", "fact": "public"})
    case.embargo.refresh_from_db()
    assert case.embargo.state == EmbargoState.EXITED


def triaged(case):
    case.is_security_issue = True
    case.cvss3_vector = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H"
    case.cvss3_score = "6.5"
    case.save()
    return case


def test_a_cve_id_the_member_allocated_is_assigned(login_as, bob, case):
    triaged(case)
    form = {"step": "assign", "cve_id": "cve-2026-4242"}
    assert post(login_as(bob), case, "cve", form).status_code == 302
    assert list(case.cve_ids.values_list("cve_id", flat=True)) == ["CVE-2026-4242"]


def test_next_cve_from_an_empty_pool_is_refused_in_the_fixes_panel(login_as, bob, case):
    triaged(case)
    response = post(login_as(bob), case, "cve", {"step": "next"})
    assert response.status_code == 400
    assert 'id="fixes"' in response.content.decode()


def test_a_recorded_fix_shows_on_its_branch(login_as, bob, case):
    form = {"step": "record", "branch": "master", "commit": "0123abcd4567"}
    assert post(login_as(bob), case, "fixes", form).status_code == 302
    body = page(login_as(bob), case)
    assert "<td><code>master</code></td>" in body
    assert "0123abcd4567" in body
    assert "no repository to verify against" in body


def test_a_branch_that_is_not_maintained_cannot_be_marked_not_affected(login_as, bob, case):
    form = {"step": "not-affected", "branch": "v1.0-maint", "reason": "predates the bug"}
    response = post(login_as(bob), case, "fixes", form)
    assert response.status_code == 400
    assert "is not a maintained branch of libvirt" in response.content.decode()


def test_advisory_is_edited_and_previewed_in_each_format(login_as, bob, case):
    triaged(case)
    form = {"title": "libvirtd crash", "description": "A read-only client crashes libvirtd."}
    form |= {"cwe": "cwe-476", "credits": "Rita Reporter", "references": "", "impact": ""}
    client = login_as(bob)
    post(client, case, "cve", {"step": "assign", "cve_id": "CVE-2026-4242"})
    assert post(client, case, "advisory", form).status_code == 302
    assert Advisory.objects.get(case=case).cwe == "CWE-476"
    assert "A read-only client crashes libvirtd." in page(client, case, "?format=text")
    assert "&quot;schema_version&quot;" in page(client, case, "?format=osv")
    assert "&quot;document&quot;" in page(client, case, "?format=csaf")
    assert "&quot;CVE-2026-4242&quot;: {" in page(client, case, "?format=cve")
    assert "&lt;article" in page(client, case, "?format=html")


def test_unknown_cwe_is_refused_and_the_text_kept(login_as, bob, case):
    form = {"title": "libvirtd crash", "description": "Kept text", "cwe": "CWE-999999"}
    response = post(login_as(bob), case, "advisory", form)
    assert response.status_code == 400
    body = response.content.decode()
    assert "is not in the CWE catalog" in body
    assert ">Kept text</textarea>" in body


def test_publication_is_refused_with_what_is_missing(login_as, bob, case):
    body = page(login_as(bob), case)
    assert "it has not been triaged as a security issue" in body
    response = post(login_as(bob), case, "publish", {})
    assert response.status_code == 400


def test_only_an_admin_restricts_a_case(login_as, alice, bob, carol, case):
    assert post(login_as(bob), case, "restriction", {"members": [bob.email]}).status_code == 403
    response = post(login_as(alice), case, "restriction", {"members": [bob.email]})
    assert response.status_code == 302
    assert set(case.restricted_to.all()) == {alice, bob}
    assert login_as(carol).get(f"/cases/{case.project.slug}/{case.number}/").status_code == 404


def test_a_member_may_not_work_a_case_they_cannot_see(login_as, charlie, case):
    response = post(login_as(charlie), case, "reply", {"body": "hello"})
    assert response.status_code == 404
    assert not Message.objects.filter(case=case).exists()


def test_the_case_page_has_no_inline_script_or_style(login_as, alice, case):
    body = page(login_as(alice), case)
    assert re.search(r"<script(?![^>]*\bsrc=)", body) is None
    assert " style=" not in body
    assert re.search(r"\son[a-z]+=", body) is None


def test_every_control_on_the_case_page_has_a_label(login_as, alice, case):
    body = page(login_as(alice), case)
    for control_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', body):
        assert f'for="{control_id}"' in body, control_id
    unlabelled = re.findall(r"<(?:select|textarea)(?![^>]*\bid=)[^>]*>", body)
    assert unlabelled == []


def test_an_open_proposal_is_superseded_by_a_counter_proposal(login_as, alice, bob, fresh_case):
    post(login_as(bob), fresh_case, "embargo", {"step": "propose", "days": "10"})
    post(login_as(alice), fresh_case, "embargo", {"step": "propose", "days": "7"})
    states = set(
        EmbargoProposal.objects.filter(embargo__case=fresh_case).values_list("state", flat=True)
    )
    assert states == {ProposalState.OPEN, ProposalState.SUPERSEDED}


@pytest.fixture
def mirrored(settings, tmp_path, libvirt):
    """libvirt's repository with master and one maintained stable branch, mirrored."""
    from secdesk.fixes import mirror
    from secdesk.fixes.models import Branch, Repository
    from secdesk.fixes.tests.history import History

    settings.DATA_DIR = tmp_path / "data"
    history = History.create(tmp_path / "libvirt")
    history.commit("Start", {"rpc.c": "int dispatch;\n"})
    history.checkout("v1.1-maint", new_at="master")
    history.checkout("master")
    fix = history.commit("rpc: check the caller (CVE-2026-4242)", {"rpc.c": "int checked;\n"})
    repository = Repository.objects.create(project=libvirt, name="libvirt", url=str(history.path))
    for pattern in ("master", "v*-maint"):
        Branch.objects.create(repository=repository, pattern=pattern)
    mirror.update(repository)
    return fix


def test_each_maintained_branch_shows_its_verification(login_as, bob, case, mirrored):
    triaged(case)
    client = login_as(bob)
    post(client, case, "cve", {"step": "assign", "cve_id": "CVE-2026-4242"})
    post(client, case, "fixes", {"step": "record", "branch": "master", "commit": mirrored})
    body = page(client, case)
    fixes = body[body.index('id="fixes"') : body.index('id="publish"')]
    master = fixes[fixes.index("<code>master</code>") : fixes.index("<code>v1.1-maint</code>")]
    assert "verified" in master
    maint = fixes[fixes.index("<code>v1.1-maint</code>") :]
    assert "no fix recorded in libvirt/libvirt, and not marked not affected" in maint
    form = {"step": "not-affected", "branch": "v1.1-maint", "reason": "predates the RPC code"}
    assert post(client, case, "fixes", form).status_code == 302
    assert "needs work" not in page(client, case)


def test_publishing_ends_the_embargo_when_asked_and_announces_once(
    settings, tmp_path, login_as, libvirt, bob, case
):
    settings.DATA_DIR = tmp_path / "data"
    settings.SITE_URL = "https://security.libvirt.org"
    libvirt.announce_list = "announce@libvirt.org"
    libvirt.save()
    triaged(case)
    client = login_as(bob)
    post(client, case, "cve", {"step": "assign", "cve_id": "CVE-2026-4242"})
    post(client, case, "fixes", {"step": "record", "branch": "master", "commit": "0123abcd4567"})
    still_embargoed = post(client, case, "publish", {})
    assert still_embargoed.status_code == 400
    assert post(client, case, "publish", {"end_embargo": "on"}).status_code == 302
    # The request only queued it: the embargo ended, nothing announced yet.
    case.refresh_from_db()
    case.embargo.refresh_from_db()
    assert case.published_at is None
    assert not OutgoingMessage.objects.filter(case=case, kind="announcement").exists()
    panel_url = f"/cases/{case.project.slug}/{case.number}/publication/"
    panel = client.get(panel_url).content.decode()
    assert "queued" in panel and 'hx-trigger="every 2s"' in panel
    # Folded at phone width, the panel stays open while it follows the worker.
    assert '<details class="fold" open>' in panel and "being published: queued" in panel
    assert publish_due() == [case.pk]
    case.refresh_from_db()
    assert case.published_at is not None
    assert "hx-trigger" not in client.get(panel_url).content.decode()
    assert case.embargo.state == EmbargoState.EXITED
    assert OutgoingMessage.objects.filter(case=case, kind="announcement").count() == 1
    assert "Published" in page(client, case)


def test_a_published_advisory_is_corrected_and_amended_from_the_case_page(
    settings, tmp_path, login_as, libvirt, bob, case
):
    settings.DATA_DIR = tmp_path / "data"
    settings.SITE_URL = "https://security.libvirt.org"
    libvirt.announce_list = "announce@libvirt.org"
    libvirt.save()
    triaged(case)
    client = login_as(bob)
    post(client, case, "cve", {"step": "assign", "cve_id": "CVE-2026-4242"})
    post(client, case, "fixes", {"step": "record", "branch": "master", "commit": "0123abcd4567"})
    assert post(client, case, "publish", {"end_embargo": "on"}).status_code == 302
    assert publish_due() == [case.pk]
    assert "Amend the advisory" in page(client, case)

    refused = post(client, case, "amend", {"reason": "  "})
    assert refused.status_code == 400
    assert "say why the advisory is amended" in refused.content.decode()
    edited = post(client, case, "advisory", {"title": case.title, "credits": "Sam Second"})
    assert edited.status_code == 302
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        amended = post(client, case, "amend", {"reason": "Credit Sam Second."})
    assert amended.status_code == 302
    shown = page(client, case)
    assert "Revision 2" in shown and "Credit Sam Second." in shown
    assert OutgoingMessage.objects.filter(case=case, kind="advisory-revision").count() == 1
    public = client.get(f"/advisories/{case.advisory.public_id}/").content.decode()
    assert "Sam Second" in public
