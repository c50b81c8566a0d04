"""Publication happens exactly once: at the embargo's end, at once for a zero-day,
or by team decision; an interrupted one resumes and never announces twice."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from secdesk.advisories.actions import do_assign_cve, do_publish_case
from secdesk.advisories.embargo_end import publish_due
from secdesk.advisories.models import CveState, Publication
from secdesk.advisories.public_files import public_dir
from secdesk.advisories.published import documents_of
from secdesk.cases.actions import embargo, triage
from secdesk.cases.actions.embargo import expire_embargoes
from secdesk.errors import Refused
from secdesk.fixes.actions import do_record_fix
from secdesk.lib.claims import exclusive
from secdesk.outbox.models import OutgoingMessage

from .conftest import CVSS

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def announcements(case):
    return OutgoingMessage.objects.filter(case=case, kind="announcement")


@pytest.fixture
def embargoed(ready_case, alice, bob):
    with time_machine.travel(START, tick=False):
        embargo.do_propose_embargo(ready_case, days=7, acting=alice)
        embargo.do_accept_embargo(ready_case, acting=bob)
    return ready_case


def test_team_decision_publishes_everything_once(ready_case, alice, bob):
    do_publish_case(ready_case, acting=bob)
    ready_case.refresh_from_db()
    assert ready_case.published_at is not None
    publication = Publication.objects.get(case=ready_case)
    advisory_id = publication.documents["facts"]["id"]
    assert advisory_id.startswith("LIBVIRT-SA-")
    (mail,) = announcements(ready_case)
    assert mail.to == ["devel@libvirt.example", "announce@libvirt.example"]
    assert "CVE-2026-1001" in mail.subject
    reporter_copy = OutgoingMessage.objects.get(case=ready_case, kind="announcement-reporter")
    assert reporter_copy.to == ["finder@research.example"]
    assert (public_dir() / f"{advisory_id}.csaf.json").exists()
    assert (public_dir() / advisory_id / "CVE-2026-1001.json").exists()
    assert ready_case.cve_ids.get().state == CveState.PUBLISHED
    with pytest.raises(Refused, match="already published"):
        do_publish_case(ready_case, acting=alice)
    assert announcements(ready_case).count() == 1


def test_the_worker_publishes_when_the_embargo_expires(embargoed):
    with time_machine.travel(START + timedelta(days=6), tick=False):
        assert expire_embargoes() == []
        assert publish_due() == []
    assert not announcements(embargoed).exists()
    with time_machine.travel(START + timedelta(days=7, minutes=1), tick=False):
        assert expire_embargoes() == [embargoed.pk]
        assert publish_due() == [embargoed.pk]
        assert publish_due() == []
    publication = Publication.objects.get(case=embargoed)
    assert publication.trigger == "expired"
    assert publication.finished_at is not None
    assert announcements(embargoed).count() == 1


def test_an_interrupted_publication_resumes_without_a_second_announcement(
    embargoed, settings, tmp_path
):
    public_dir().parent.mkdir(parents=True)
    # A file where the advisories' directory belongs: the step after the
    # announcement fails, as when a worker dies between sending and marking.
    public_dir().write_text("in the way")
    with time_machine.travel(START + timedelta(days=7, minutes=1), tick=False):
        expire_embargoes()
        assert publish_due() == []
    publication = Publication.objects.get(case=embargoed)
    assert publication.announced_at is not None
    assert publication.files_written_at is None
    assert "cannot write the advisory files" in publication.last_error
    embargoed.refresh_from_db()
    assert embargoed.published_at is None
    with pytest.raises(Refused, match="no published advisory"):
        documents_of(publication.documents["facts"]["id"])

    public_dir().unlink()
    with time_machine.travel(START + timedelta(days=7, minutes=2), tick=False):
        assert publish_due() == [embargoed.pk]
        publication.refresh_from_db()
    assert publication.finished_at is not None
    assert announcements(embargoed).count() == 1


def test_an_expired_embargo_with_a_missing_fix_alerts_the_admins_once(
    new_case, alice, bob, repository
):
    case = new_case()
    triage.do_record_triage(case, security_issue=True, reasoning="x", cvss3=CVSS, acting=bob)
    do_assign_cve(case, cve_id="CVE-2026-1009", acting=bob)
    with time_machine.travel(START, tick=False):
        embargo.do_propose_embargo(case, days=3, acting=alice)
        embargo.do_accept_embargo(case, acting=bob)
    with time_machine.travel(START + timedelta(days=3, minutes=1), tick=False):
        expire_embargoes()
        assert publish_due() == []
        assert publish_due() == []
    alerts = OutgoingMessage.objects.filter(case=case, kind="embargo-expired-incomplete")
    assert [alert.to for alert in alerts] == [["alice@redhat.example"], ["root@example.org"]]
    assert all("master: no fix recorded" in alert.body for alert in alerts)
    assert not Publication.objects.filter(case=case).exists()


def test_a_zero_day_is_announced_at_once_with_its_cve(new_case, bob, alice):
    case = new_case(public=True, subject="Public: use-after-free in teardown")
    triage.do_record_triage(case, security_issue=True, reasoning="public", cvss3=CVSS, acting=bob)
    assert publish_due() == []  # not before it carries its CVE
    do_assign_cve(case, cve_id="CVE-2026-1010", acting=alice)
    assert publish_due() == [case.pk]
    case.refresh_from_db()
    assert case.published_at is not None
    assert not hasattr(case, "embargo") or case.embargo.state == "none"
    (mail,) = announcements(case)
    assert "CVE-2026-1010" in mail.subject
    assert "CVE-2026-1010" in mail.body
    assert "already public when it was reported" in mail.body
    assert Publication.objects.get(case=case).trigger == "zero-day"


def test_a_fix_recorded_after_publication_leaves_the_published_advisory_as_it_was(ready_case, bob):
    do_publish_case(ready_case, acting=bob)
    advisory_id = ready_case.advisory.public_id
    before = documents_of(advisory_id)
    do_record_fix(ready_case, branch="master", commit="abcdef0", acting=bob)
    # It reaches the public when the advisory is amended (test_revisions.py).
    assert documents_of(advisory_id) == before


def _held_elsewhere(kind, pk, held, release):
    """Another worker, on another host, running the publication."""
    try:
        with exclusive(kind, pk) as mine:
            assert mine
            held.set()
            release.wait(timeout=30)
    finally:
        connection.close()


def test_a_publication_another_worker_is_running_is_left_to_it(embargoed):
    if connection.vendor != "postgresql":
        pytest.skip("on SQLite one host runs the worker")
    public_dir().parent.mkdir(parents=True)
    public_dir().write_text("in the way")  # the publication stops after announcing
    with time_machine.travel(START + timedelta(days=7, minutes=1), tick=False):
        expire_embargoes()
        publish_due()
    public_dir().unlink()
    publication = Publication.objects.get(case=embargoed)
    held, release = threading.Event(), threading.Event()
    other = threading.Thread(
        target=_held_elsewhere, args=("publication", publication.pk, held, release)
    )
    other.start()
    try:
        assert held.wait(timeout=30)
        assert publish_due() == []
        publication.refresh_from_db()
        assert publication.files_written_at is None
    finally:
        release.set()
        other.join()
    assert publish_due() == [embargoed.pk]
    publication.refresh_from_db()
    assert publication.finished_at is not None
