"""A published advisory is amended when a fixed release ships or a range was
wrong: revision 2 in every format, the CVE record updated at CVE Services,
one short revision mail — also when the worker runs twice or dies half-way."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from csaf.csaf.v20 import validate
from cvelib.cve_api import CveRecord
from django.test import Client

from secdesk import worker
from secdesk.advisories.actions import do_assign_cve, do_edit_advisory, do_publish_case
from secdesk.advisories.cve_services import do_set_cve_services
from secdesk.advisories.formats.cve_record import full_record
from secdesk.advisories.models import Revision
from secdesk.advisories.public_files import csaf_dir, public_dir
from secdesk.advisories.revisions import do_amend_advisory, resume_revisions, run_revision
from secdesk.advisories.validation import csaf_problems, document_problems
from secdesk.cases.actions import triage
from secdesk.errors import BadInput, NotAllowed, Refused
from secdesk.fixes.actions import do_record_fix
from secdesk.outbox.models import OutgoingMessage
from secdesk.teams.models import ApiToken
from secdesk.teams.tokens import do_create_api_token

from .conftest import CVSS, build_upstream
from .cve_services_fake import FakeCveServices

PUBLISHED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
AMENDED = PUBLISHED + timedelta(days=7)
REASON = "1.0.1 shipped with the fix for the v1.0-maint branch."


@pytest.fixture
def upstream(tmp_path):
    """As conftest's, but the backport to v1.0-maint is not released yet."""
    return build_upstream(tmp_path / "upstream", backport_released=False)


@pytest.fixture
def published(ready_case, bob):
    with time_machine.travel(PUBLISHED, tick=False):
        do_publish_case(ready_case, acting=bob)
    ready_case.refresh_from_db()
    return ready_case


def release_the_backport(upstream):
    history, *_ = upstream
    history.checkout("v1.0-maint")
    history.tag("v1.0.1")
    history.checkout("master")


def revision_dates_problems(csaf: dict) -> list[str]:
    """The full preset's recommended tests of the revision history: no build
    metadata in it, no initial or current release date older than it."""
    report = validate(csaf, preset="full")
    assert {"6.2.4", "6.2.5", "6.2.6"} <= {result.id for result in report.results}
    return [
        f"{result.id} {result.title}"
        for result in report.results
        if result.id in ("6.2.4", "6.2.5", "6.2.6") and not result.passed
    ]


def amend(case, person, reason=REASON):
    with time_machine.travel(AMENDED, tick=False):
        return do_amend_advisory(case, reason=reason, acting=person)


def revision_mails(case):
    return OutgoingMessage.objects.filter(case=case, kind="advisory-revision")


def test_amending_a_published_advisory_gives_revision_2_in_every_format(published, upstream, bob):
    advisory_id = published.advisory.public_id
    release_the_backport(upstream)
    revision = amend(published, bob)
    assert revision.number == 2 and revision.finished_at is not None

    client = Client()
    csaf = client.get(f"/advisories/{advisory_id}.csaf.json").json()
    tracking = csaf["document"]["tracking"]
    assert tracking["version"] == "2"
    assert [(r["number"], r["summary"]) for r in tracking["revision_history"]] == [
        ("1", "Initial version."),
        ("2", REASON),
    ]
    assert tracking["current_release_date"] == "2026-03-09T10:00:00Z"
    assert tracking["revision_history"][1]["date"] == tracking["current_release_date"]
    assert tracking["initial_release_date"].startswith("2026-03-02T10:00:00")
    assert csaf_problems(csaf) == []
    assert revision_dates_problems(csaf) == []

    osv = client.get(f"/advisories/{advisory_id}.osv.json").json()
    assert osv["modified"] == "2026-03-09T10:00:00Z"
    assert osv["published"].startswith("2026-03-02T10:00:00")
    assert osv["modified"] > osv["published"]
    branches = osv["affected"][0]["database_specific"]["branches"]
    assert {b["branch"]: b["fixed_in"] for b in branches} == {
        "master": "1.2.0",
        "v1.0-maint": "1.0.1",
    }

    record = client.get(f"/advisories/{advisory_id}/CVE-2026-1001.record.json").json()
    assert record["cveMetadata"]["dateUpdated"] == "2026-03-09T10:00:00Z"
    assert record["cveMetadata"]["datePublished"].startswith("2026-03-02T10:00:00")
    assert record["containers"]["cna"]["providerMetadata"]["dateUpdated"] == (
        "2026-03-09T10:00:00Z"
    )
    CveRecord.validate(record, schema_path=CveRecord.Schemas.V5_SCHEMA)

    page = client.get(f"/advisories/{advisory_id}/").content.decode()
    assert f'Revision 2 (<time datetime="2026-03-09T10:00:00Z">2026-03-09</time>): {REASON}' in page
    assert "Revision 1 (" in page
    text = client.get(f"/advisories/{advisory_id}.txt").content.decode()
    assert f"2  2026-03-09  {REASON}" in text
    assert "fixed in: 1.0.1" in text

    assert document_problems(revision.documents) == []
    on_disk = json.loads((public_dir() / f"{advisory_id}.csaf.json").read_text())
    assert on_disk["document"]["tracking"]["version"] == "2"
    on_disk = json.loads((public_dir() / advisory_id / "CVE-2026-1001.record.json").read_text())
    assert on_disk == full_record(
        "CVE-2026-1001", revision.documents["cve"]["CVE-2026-1001"], revision.documents["facts"]
    )


def test_the_csaf_provider_serves_the_revision_whole_under_the_same_name(published, bob):
    """The feed, the canonical file and its hashes all name revision 2, and the
    revised document passes the csaf package's full preset."""
    amend(published, bob)
    client = Client()
    [entry] = client.get("/.well-known/csaf/white/csaf-feed-tlp-white.json").json()["feed"]["entry"]
    assert entry["published"] == "2026-03-02T10:00:00Z"
    assert entry["updated"] == "2026-03-09T10:00:00Z"
    path = "/.well-known/csaf/white/2026/libvirt-sa-2026-0001.json"
    content = client.get(path).content
    document = json.loads(content)
    assert document["document"]["tracking"]["version"] == "2"
    assert (csaf_dir() / "white" / "2026" / "libvirt-sa-2026-0001.json").read_bytes() == content
    digest = client.get(f"{path}.sha256").content.decode()
    assert digest == f"{hashlib.sha256(content).hexdigest()}  libvirt-sa-2026-0001.json\n"
    report = validate(document, preset="full")
    assert [r.id for r in report.results if not r.passed and not r.skipped] == []


def test_a_second_amendment_keeps_the_whole_history(published, bob):
    amend(published, bob)
    with time_machine.travel(AMENDED + timedelta(days=1), tick=False):
        do_amend_advisory(published, reason="Credit the second finder.", acting=bob)
    csaf = Client().get(f"/advisories/{published.advisory.public_id}.csaf.json").json()
    tracking = csaf["document"]["tracking"]
    assert tracking["version"] == "3"
    assert [r["number"] for r in tracking["revision_history"]] == ["1", "2", "3"]
    assert csaf_problems(csaf) == []
    assert revision_dates_problems(csaf) == []


def test_the_revision_mail_goes_to_the_lists_once(published, upstream, bob):
    release_the_backport(upstream)
    revision = amend(published, bob)
    run_revision(revision)
    assert resume_revisions() == []
    (mail,) = revision_mails(published)
    assert mail.to == ["devel@libvirt.example", "announce@libvirt.example"]
    assert mail.subject.startswith(f"[{published.advisory.public_id}] revised:")
    assert "Revision:   2 (2026-03-09)" in mail.body
    assert REASON in mail.body
    assert "fixed in: 1.0.1" in mail.body
    assert "finder@research.example" not in mail.to


def test_an_interrupted_amendment_resumes_without_a_second_mail(published, bob):
    # A file where the advisories' directory belongs: the step after the mail
    # fails, as when a worker dies between queueing and writing the files.
    public_dir().rename(public_dir().with_name("moved"))
    public_dir().write_text("in the way")
    with pytest.raises(Refused, match="cannot write the advisory files"):
        amend(published, bob)
    revision = Revision.objects.get()
    assert revision.announced_at is not None and revision.files_written_at is None
    assert revision_mails(published).count() == 1
    csaf = Client().get(f"/advisories/{published.advisory.public_id}.csaf.json").json()
    assert csaf["document"]["tracking"]["version"] == "1"
    with pytest.raises(Refused, match="still going out"):
        amend(published, bob, reason="Another correction.")

    public_dir().unlink()
    assert resume_revisions() == [published.pk]
    assert resume_revisions() == []
    run_revision(revision)
    assert revision_mails(published).count() == 1
    csaf = Client().get(f"/advisories/{published.advisory.public_id}.csaf.json").json()
    assert csaf["document"]["tracking"]["version"] == "2"


def test_a_credit_and_a_reference_added_after_publication_go_out_with_the_amendment(published, bob):
    advisory_id = published.advisory.public_id
    do_edit_advisory(
        published,
        {
            "credits": "Finn Finder (Research Lab)\nSam Second",
            "references": "https://bugs.example.org/1234\nhttps://lists.example.org/msg/1",
        },
        acting=bob,
    )
    client = Client()
    assert "Sam Second" not in client.get(f"/advisories/{advisory_id}.txt").content.decode()
    amend(published, bob, reason="Credit the second finder; link the list thread.")
    osv = client.get(f"/advisories/{advisory_id}.osv.json").json()
    assert "Sam Second" in [c["name"] for c in osv["credits"]]
    assert "https://lists.example.org/msg/1" in [r["url"] for r in osv["references"]]
    csaf = client.get(f"/advisories/{advisory_id}.csaf.json").json()
    assert "Sam Second" in csaf["vulnerabilities"][0]["acknowledgments"][0]["names"]


def test_a_backport_recorded_after_publication_goes_out_with_the_amendment(
    new_case, upstream, repository, alice, bob
):
    _, fix, backport = upstream
    case = new_case(subject="Heap overflow in the RPC parser")
    triage.do_record_triage(case, security_issue=True, reasoning="overflow", cvss3=CVSS, acting=bob)
    do_assign_cve(case, cve_id="CVE-2026-1002", acting=bob)
    do_record_fix(case, branch="master", commit=fix, repository="libvirt", acting=bob)
    with time_machine.travel(PUBLISHED, tick=False):
        do_publish_case(case, acting=alice, override_reason="the backport is on its way")
    advisory_id = case.advisory.public_id
    client = Client()
    assert f"v1.0-maint: {backport}" not in client.get(f"/advisories/{advisory_id}.txt").text

    do_record_fix(case, branch="v1.0-maint", commit=backport, repository="libvirt", acting=bob)
    release_the_backport(upstream)
    amend(case, bob, reason="The backport to v1.0-maint is released in 1.0.1.")
    text = client.get(f"/advisories/{advisory_id}.txt").text
    assert f"v1.0-maint: {backport}" in text
    assert "fixed in: 1.0.1" in text


def test_an_unpublished_case_is_refused_publish_it_first(ready_case, bob):
    with pytest.raises(Refused, match="publish it first"):
        do_amend_advisory(ready_case, reason="A correction.", acting=bob)
    assert not Revision.objects.exists()


def test_an_amendment_without_a_reason_is_refused(published, bob):
    with pytest.raises(BadInput, match="say why"):
        do_amend_advisory(published, reason="  \n ", acting=bob)
    assert not Revision.objects.exists()


def test_who_may_not_publish_may_not_amend(published, charlie):
    with pytest.raises(NotAllowed):
        do_amend_advisory(published, reason="A correction.", acting=charlie)


def test_the_api_amends_a_published_advisory(published, bob):
    _, raw = do_create_api_token(name="test", scope=ApiToken.Scope.WRITE, acting=bob)
    url = f"/api/v1/cases/{published.project.slug}/{published.number}/amend"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    client = Client()
    refused = client.post(url, {"reason": ""}, content_type="application/json", **auth)
    assert refused.status_code == 400
    assert "say why" in refused.json()["detail"]
    with time_machine.travel(AMENDED, tick=False):
        amended = client.post(url, {"reason": REASON}, content_type="application/json", **auth)
    assert amended.status_code == 200
    assert amended.json() == {
        "case": published.pk,
        "advisory": published.advisory.public_id,
        "revision": 2,
        "updated": "2026-03-09T10:00:00Z",
        "reason": REASON,
    }


def test_index_and_feed_show_the_revision(published, bob):
    amend(published, bob)
    client = Client()
    index = client.get("/advisories/").content.decode()
    assert "revised 2026-03-09 (revision 2)" in index
    feed = client.get("/advisories/feed.atom").content.decode()
    assert "<updated>2026-03-09T10:00:00Z</updated>" in feed
    assert f"Revision 2: {REASON}" in feed


def test_the_revised_cve_record_is_sent_to_cve_services(published, project, alice, bob):
    with FakeCveServices() as fake:
        fake.reserve_directly("CVE-2026-1001")
        do_set_cve_services(
            project, org=fake.org, user=fake.user, api_key=fake.key, url=fake.url, acting=alice
        )
        amend(published, bob)
        # Published before the project had an account: the update publishes it.
        assert [(m, p) for m, p, _ in fake.requests][-2:] == [
            ("PUT", "/api/cve/CVE-2026-1001/cna"),
            ("POST", "/api/cve/CVE-2026-1001/cna"),
        ]
        with time_machine.travel(AMENDED + timedelta(days=1), tick=False):
            do_amend_advisory(published, reason="Credit the second finder.", acting=bob)
        method, path, request = fake.requests[-1]
        assert (method, path) == ("PUT", "/api/cve/CVE-2026-1001/cna")
        sent = request["body"]["cnaContainer"]
        assert sent["providerMetadata"]["dateUpdated"] == "2026-03-10T10:00:00Z"
        metadata = fake.records["CVE-2026-1001"]["cveMetadata"]
        assert metadata["dateUpdated"] > metadata["datePublished"]


@pytest.mark.django_db(transaction=True)
def test_exactly_one_revision_mail_is_delivered_when_the_worker_runs_again(
    published, bob, smtp_sink
):
    worker.tick()
    smtp_sink.messages.clear()
    public_dir().rename(public_dir().with_name("moved"))
    public_dir().write_text("in the way")
    with pytest.raises(Refused):
        amend(published, bob)
    assert worker.tick()["revised"] == []
    public_dir().unlink()
    assert worker.tick()["revised"] == [published.pk]
    assert worker.tick()["revised"] == []
    assert Revision.objects.get().finished_at is not None
    revised = [m for m in smtp_sink.messages if "revised:" in m["Subject"]]
    assert len(revised) == 1
    assert "announce@libvirt.example" in revised[0]["To"]
    (row,) = revision_mails(published)
    assert sorted(row.delivered) == ["announce@libvirt.example", "devel@libvirt.example"]
