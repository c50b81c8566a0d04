"""The rules read stored mail a batch at a time: what one message does must not
depend on which other messages share its batch."""

import threading
from email import message_from_bytes, policy
from email.utils import make_msgid

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from secdesk.audit.models import AuditEvent, AuditRecord
from secdesk.audit.verify import check_trail
from secdesk.cases.access import case_audience
from secdesk.cases.capabilities import reply_token
from secdesk.cases.models import Capability, Case
from secdesk.mail import decide, held_reports, intake
from secdesk.mail.addresses import resolve, security_addresses
from secdesk.mail.daemon import read_stored
from secdesk.mail.models import Inbound, InboundMessage
from secdesk.mail.tests.conftest import mail, read_in_batches
from secdesk.mail.tests.test_intake_rules import _trusting, _with_results
from secdesk.outbox.addresses import reply_address
from secdesk.outbox.models import OutgoingMessage
from secdesk.teams.models import Person


def _store_all(raws, to="security@libvirt.example") -> list[int]:
    """Store every message first, as a burst does, so that one pass reads them together."""
    table = security_addresses()
    return intake.Intake(None).store(
        [
            intake.Envelope(raw, "finder@research.example", [(to, resolve(to, table))])
            for raw in raws
        ]
    )


def _rows(pks) -> list[InboundMessage]:
    return [InboundMessage.objects.get(pk=pk) for pk in pks]


def test_a_batch_of_reports_makes_a_held_case_and_one_audit_record_each(project, alice):
    before = AuditRecord.objects.count()
    pks = _store_all([mail(sender=f"finder{n}@research.example") for n in range(7)])
    assert intake.Intake(None).process_pending() == 7
    rows = _rows(pks)
    assert [r.state for r in rows] == [Inbound.HELD] * 7
    assert len({r.case_id for r in rows}) == 7
    assert all(r.case.state == "held" and r.case.reporter.email == r.sender for r in rows)
    entries = list(AuditRecord.objects.order_by("seq")[before:])
    assert [e.event for e in entries] == [AuditEvent.REPORT_RECEIVED] * 7
    assert [e.details["inbound"] for e in entries] == pks
    assert check_trail().problems == []
    assert OutgoingMessage.objects.filter(kind="acknowledgement").count() == 7


def test_one_sender_four_times_in_one_batch_gets_three_acknowledgements(project, alice):
    with time_machine.travel("2026-03-02 09:00Z", tick=True):
        pks = _store_all([mail(subject=f"report {n}") for n in range(4)])
        intake.Intake(None).process_pending()
    rows = _rows(pks)
    assert [r.state for r in rows] == [Inbound.HELD] * 4
    assert OutgoingMessage.objects.filter(kind="acknowledgement").count() == 3
    assert rows[3].reasons[-1]["rule"] == "acknowledged_enough_today"


def test_acknowledgements_another_process_sent_meanwhile_count_against_the_limit(
    project, alice, monkeypatch
):
    """The day's count is read with the mail and checked again in the transaction
    that queues the replies: a sender acknowledged by another process (the
    report form, say) in between does not get a fourth reply."""
    from secdesk.mail.models import AcknowledgementCount

    real = decide.examine_all

    def examined_then_acknowledged_elsewhere(items):
        found = real(items)
        AcknowledgementCount.objects.filter(address="finder@research.example").update(count=2)
        return found

    with time_machine.travel("2026-03-02 09:00Z", tick=True):
        _store_all([mail(subject="report 0")])
        intake.Intake(None).process_pending()
        monkeypatch.setattr(decide, "examine_all", examined_then_acknowledged_elsewhere)
        pks = _store_all([mail(subject=f"report {n}") for n in (1, 2)])
        intake.Intake(None).process_pending()
    rows = _rows(pks)
    assert [r.state for r in rows] == [Inbound.HELD] * 2
    assert OutgoingMessage.objects.filter(kind="acknowledgement").count() == 2
    assert AcknowledgementCount.objects.get(address="finder@research.example").count == 3
    assert rows[1].reasons[-1]["rule"] == "acknowledged_enough_today"
    entries = AuditRecord.objects.filter(event=AuditEvent.REPORT_RECEIVED).order_by("seq")
    assert [e.details["acknowledged"] for e in entries] == [True, True, False]


def test_a_follow_up_to_a_report_in_the_same_batch_is_held_against_that_case(project, alice):
    """In-Reply-To never leads into a case; read after the report it answers,
    it is held against that case, for the moderators who may see it."""
    report_id = make_msgid(domain="research.example")
    message = message_from_bytes(mail(), policy=policy.default)
    message.replace_header("Message-ID", report_id)
    report = message.as_bytes()
    follow_up = mail(subject="Re: Heap overflow", headers={"In-Reply-To": report_id})
    first, second = _rows(_store_all([report, follow_up]))
    intake.Intake(None).process_pending()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.opened_case and second.state == Inbound.HELD
    assert second.case_id == first.case_id and not second.opened_case
    [threaded] = [r for r in second.reasons if r["rule"] == "threaded_to_case"]
    assert threaded["suggested_case"] == first.case_id
    assert first.case.messages.count() == 1


def _three_reports_the_middle_one_quarantined() -> list[InboundMessage]:
    """Three reports read in one batch, the middle one from broken@: it alone fails."""
    senders = ["one@research.example", "broken@research.example", "two@research.example"]
    pks = _store_all([mail(sender=s) for s in senders])
    intake.Intake(None).process_pending()
    rows = _rows(pks)
    assert [r.state for r in rows] == [Inbound.HELD, Inbound.QUARANTINED, Inbound.HELD]
    return rows


def test_a_report_that_cannot_be_stored_quarantines_itself_not_its_batch(
    project, alice, monkeypatch
):
    real = held_reports.people_for_addresses

    def refusing(addresses):
        if any(email == "broken@research.example" for email, _ in addresses):
            raise IntegrityError("refused by the database")
        return real(addresses)

    monkeypatch.setattr(held_reports, "people_for_addresses", refusing)
    rows = _three_reports_the_middle_one_quarantined()
    assert rows[1].reasons[-1]["rule"] == "failure" and rows[1].case is None
    assert Case.objects.count() == 2
    assert check_trail().problems == []


def test_a_message_whose_lookups_fail_quarantines_itself_not_its_batch(project, alice, monkeypatch):
    real = decide._addressed

    def failing(read):
        if any(b"broken@research.example" in row.raw for row, _ in read):
            raise ValueError("a lookup failed")
        return real(read)

    monkeypatch.setattr(decide, "_addressed", failing)
    rows = _three_reports_the_middle_one_quarantined()
    assert rows[1].reasons[-1] == {"rule": "failure", "reason": "processing failed (ValueError)"}
    assert Case.objects.count() == 2


def test_a_released_report_keeps_its_attachment_once(project, alice, monkeypatch):
    from email.message import EmailMessage

    from secdesk.errors import Refused
    from secdesk.mail.models import Attachment
    from secdesk.mail.moderation import do_release

    message = EmailMessage()
    message["From"], message["To"] = "finder@research.example", "security@libvirt.example"
    message["Subject"], message["Message-ID"] = "Crash with a PoC", make_msgid()
    message.set_content("The attached file crashes the parser.")
    message.add_attachment(
        b"\x00poc", maintype="application", subtype="octet-stream", filename="poc.bin"
    )
    real = held_reports.do_receive_held_reports

    def refused(project, batch):
        raise Refused("not now")

    monkeypatch.setattr(held_reports, "do_receive_held_reports", refused)
    [pk] = _store_all([message.as_bytes()])
    intake.Intake(None).process_pending()
    row = InboundMessage.objects.get(pk=pk)
    assert row.state == Inbound.QUARANTINED and row.attachments.count() == 1
    monkeypatch.setattr(held_reports, "do_receive_held_reports", real)
    released = do_release(row, acting=alice)
    assert released.state == Inbound.HELD
    assert Attachment.objects.filter(inbound=row).count() == 1


def _reply_address(case, person) -> str:
    with transaction.atomic():
        return reply_address(case.project, reply_token(case, person))


def _approved_case(project) -> Case:
    """A report by mail, approved, in a project that trusts its MTA's DKIM results."""
    [report] = _rows(_store_all([mail()]))
    intake.Intake(None).process_pending()
    report.refresh_from_db()
    case = report.case
    case.state = "valid"
    case.save(update_fields=["state"])
    _trusting(project)
    return case


def test_member_posts_in_one_batch_each_reach_the_team_with_their_author_audited(
    project, alice, bob
):
    case = _approved_case(project)
    before = AuditRecord.objects.count()
    to = _reply_address(case, bob)
    raw = _with_results(
        "mx.libvirt.example; dkim=pass header.d=suse.example header.s=k1", above_received=True
    )
    posts = [raw.replace(b"Message-ID: <", f"Message-ID: <{n}.".encode(), 1) for n in range(3)]
    pks = _store_all(posts, to=to)
    intake.Intake(None).process_pending()
    rows = _rows(pks)
    assert [r.state for r in rows] == [Inbound.ACCEPTED] * 3
    assert case.messages.count() == 4
    entries = list(AuditRecord.objects.order_by("seq")[before:])
    assert [e.event for e in entries] == [AuditEvent.MAIL_APPENDED] * 3
    assert {e.actor.email for e in entries} == {"bob@suse.example"}
    for entry in entries:
        assert "alice@redhat.example" in entry.details["recipients"]
        assert "finder@research.example" in entry.details["recipients"]
    sent = OutgoingMessage.objects.filter(case=case, kind="case-message")
    assert sent.filter(dedupe_key__endswith=":team").count() == 3
    assert sent.filter(dedupe_key__endswith=":reporter").count() == 3


def test_posts_built_for_a_member_removed_before_the_lock_do_not_reach_them(
    project, alice, bob, monkeypatch
):
    """On SQLite posts are built before their transaction, from the audience as
    read then; a member removed in between must not receive them (the rows are
    built again). On PostgreSQL the audience is read once, under the lock."""
    from secdesk.mail import posts

    case = _approved_case(project)
    current = posts.audience
    reads = []
    before_the_lock = 1 if connection.vendor == "sqlite" else 0

    def read_before_removal(case):
        reads.append(case.pk)
        found = current(case)
        return [*found, (removed.pk, removed.email)] if len(reads) <= before_the_lock else found

    removed = Person.objects.create(email="removed@vendor.example")
    monkeypatch.setattr(posts, "audience", read_before_removal)
    raw = _with_results(
        "mx.libvirt.example; dkim=pass header.d=suse.example header.s=k1", above_received=True
    )
    [pk] = _store_all([raw], to=_reply_address(case, bob))
    intake.Intake(None).process_pending()
    assert InboundMessage.objects.get(pk=pk).state == Inbound.ACCEPTED
    team = OutgoingMessage.objects.filter(case=case, dedupe_key__endswith=":team")
    assert {a for row in team for a in row.to} == set(
        case_audience(case).values_list("email", flat=True)
    )
    assert "alice@redhat.example" in {a for row in team for a in row.to}
    message = team[0].case_message
    assert team[0].dedupe_key == f"message:{message.pk}:team"
    assert not Capability.objects.filter(person=removed).exists()
    entry = AuditRecord.objects.filter(event=AuditEvent.MAIL_APPENDED).get()
    assert "removed@vendor.example" not in entry.details["recipients"]
    assert len(reads) == before_the_lock + 1


@pytest.mark.django_db(transaction=True)
def test_the_rules_let_a_batch_that_was_not_full_fill_before_reading_on(project, monkeypatch):
    """Mail arriving a few messages at a time is read in batches, not one by one:
    after a batch that was not full the rules wait (`gather`) before the next,
    also for mail that arrived while that batch was being read."""
    batches, waits = [], []
    read = intake.process_batch

    def counted(rows):
        batches.append(len(rows))
        read(rows)
        if len(batches) == 2:  # arrived while the second batch was read
            _store_all([mail(sender=f"meanwhile{n}@research.example") for n in range(2)])

    def gather():
        waits.append(len(batches))
        if len(waits) == 1:  # arrived while the rules waited
            _store_all([mail(sender=f"later{n}@research.example") for n in range(5)])

    monkeypatch.setattr(intake, "process_batch", counted)
    _store_all([mail(sender=f"finder{n}@research.example") for n in range(intake.BATCH + 3)])
    read_stored(intake.Intake(None), threading.Event(), gather=gather)
    # No wait after the full batch; one after each batch that was not.
    assert batches == [intake.BATCH, 3, 7]
    assert waits == [2, 3]
    assert InboundMessage.objects.filter(state=Inbound.HELD).count() == intake.BATCH + 10


def test_a_batch_stops_at_its_share_of_memory_but_always_takes_one_message(
    project, alice, monkeypatch
):
    # Five messages of their own (one sent twice would be read once).
    bigs = [mail(body="x" * 5000) for _ in range(4)]
    _store_all([*bigs[:3], mail(body="x" * 20000), bigs[3]])
    batches = read_in_batches(monkeypatch, intake.Intake(None, batch_bytes=2 * len(bigs[0]) + 100))
    # Two fit; the large one alone, though it is over the limit by itself.
    assert [len(rows) for rows in batches] == [2, 1, 1, 1]
    assert InboundMessage.objects.filter(state=Inbound.HELD).count() == 5
