"""The rules and the chain on stored mail: who is held, who is let in, who is answered."""

import re

import pysequoia
import time_machine

from secdesk.audit.models import AuditEvent, AuditRecord
from secdesk.cases.access import capability_holder
from secdesk.cases.models import Capability, Case
from secdesk.mail.models import Inbound, InboundMessage
from secdesk.mail.tests.conftest import deliver, mail
from secdesk.outbox.models import OutgoingMessage


def test_non_member_report_is_held_and_auto_acknowledged(project, alice):
    row = deliver(mail())
    assert row.state == Inbound.HELD and row.opened_case
    assert row.case.state == "held"
    [ack] = OutgoingMessage.objects.filter(kind="acknowledgement")
    assert ack.to == ["finder@research.example"]
    assert ack.headers["Auto-Submitted"] == "auto-replied"
    assert row.case.reference in ack.body and row.case.reference in ack.subject
    # The reporter's own reply address, and their private link: theirs alone.
    local, token = ack.reply_to.split("@")[0].split("+")
    assert local == "security" and ack.reply_to.endswith("@libvirt.example")
    assert capability_holder(token, Capability.Kind.REPLY).person == row.case.reporter
    [link] = re.findall(r"/r/([0-9a-f]{32})/", ack.body)
    assert capability_holder(link, Capability.Kind.LINK).case == row.case


def test_a_held_report_is_received_held_and_acknowledged_with_one_audit_record(project, alice):
    before = AuditRecord.objects.count()
    row = deliver(mail())
    [entry] = AuditRecord.objects.order_by("seq")[before:]
    assert entry.event == AuditEvent.REPORT_RECEIVED and entry.case_id == row.case_id
    assert entry.details["after"] == "held" and entry.details["acknowledged"] is True
    assert entry.details["inbound"] == row.pk
    assert row.case.messages.get().mail.inbound_id == row.pk


def test_four_reports_from_one_sender_in_a_day_get_three_acknowledgements(project, alice):
    with time_machine.travel("2026-03-02 09:00Z", tick=True):
        rows = [deliver(mail(subject=f"report {n}")) for n in range(4)]
    assert [r.state for r in rows] == [Inbound.HELD] * 4
    assert OutgoingMessage.objects.filter(kind="acknowledgement").count() == 3
    assert rows[3].reasons[-1]["rule"] == "acknowledged_enough_today"
    with time_machine.travel("2026-03-03 09:00Z", tick=True):
        deliver(mail(subject="the next day"))
    assert OutgoingMessage.objects.filter(kind="acknowledgement").count() == 4


def test_auto_submitted_list_and_robot_mail_is_held_but_never_answered(project, alice):
    deliver(mail(headers={"Auto-Submitted": "auto-replied"}))
    deliver(mail(headers={"Precedence": "bulk"}))
    deliver(mail(headers={"List-Id": "<devel.lists.example>"}))
    deliver(mail(sender="MAILER-DAEMON@mx.example"), mail_from="")
    assert OutgoingMessage.objects.filter(kind="acknowledgement").count() == 0


def test_a_members_address_in_from_reply_to_or_sender_without_proof_is_held(
    project, alice, bob, carol
):
    for raw in (
        mail(sender="bob@suse.example"),
        mail(headers={"Reply-To": "bob@suse.example"}),
        mail(headers={"Sender": "bob@suse.example"}),
    ):
        row = deliver(raw)
        assert row.state == Inbound.HELD and row.case.state == "held"
        assert any(r["rule"] == "claims_membership" for r in row.reasons)
    assert not OutgoingMessage.objects.filter(kind="case-message").exists()


def test_a_report_signed_with_a_members_key_reaches_the_team(project, alice, bob, bob_key):
    signed = pysequoia.sign(
        bob_key.signer(), b"Found while fuzzing.\n", mode=pysequoia.SignatureMode.CLEAR
    ).decode()
    row = deliver(mail(sender="bob@suse.example", body=signed))
    assert row.state == Inbound.ACCEPTED
    assert row.reasons[0]["reason"].endswith("OpenPGP signature")
    sent_to = {a for r in OutgoingMessage.objects.filter(kind="case-message") for a in r.to}
    assert sent_to == {"root@example.org", "alice@redhat.example", "bob@suse.example"}


def test_a_signature_by_another_key_does_not_make_a_member(project, alice, bob, bob_key):
    mallory = pysequoia.Tsk.generate("Bob <bob@suse.example>")
    signed = pysequoia.sign(
        mallory.signer(), b"trust me\n", mode=pysequoia.SignatureMode.CLEAR
    ).decode()
    row = deliver(mail(sender="bob@suse.example", body=signed))
    assert row.state == Inbound.HELD


def _trusting(project):
    project.trust_mta_authentication = True
    project.mta_authserv_id = "mx.libvirt.example"
    project.save()


def _with_results(results: str, *, above_received: bool, sender="bob@suse.example") -> bytes:
    raw = mail(sender=sender)
    header = f"Authentication-Results: {results}\r\n".encode()
    received = b"Received: from mail.suse.example by mx.libvirt.example; Mon, 2 Mar 2026\r\n"
    raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return header + received + raw if above_received else received + header + raw


def test_an_aligned_dkim_pass_from_the_sites_mta_makes_a_member(project, alice, bob):
    _trusting(project)
    raw = _with_results(
        "mx.libvirt.example; dkim=pass header.d=suse.example header.s=k1", above_received=True
    )
    assert deliver(raw).state == Inbound.ACCEPTED


def test_authentication_results_that_do_not_count(project, alice, bob):
    _trusting(project)
    for raw in (
        # forged further down, below our MTA's Received line
        _with_results("mx.libvirt.example; dkim=pass header.d=suse.example", above_received=False),
        # another server's verdict
        _with_results("mx.evil.example; dkim=pass header.d=suse.example", above_received=True),
        # a pass for a domain not aligned with From
        _with_results("mx.libvirt.example; dkim=pass header.d=evil.example", above_received=True),
        _with_results("mx.libvirt.example; dkim=fail header.d=suse.example", above_received=True),
    ):
        assert deliver(raw).state == Inbound.HELD


def test_without_the_project_trusting_its_mta_a_dkim_pass_is_not_enough(project, alice, bob):
    raw = _with_results("mx.libvirt.example; dkim=pass header.d=suse.example", above_received=True)
    assert deliver(raw).state == Inbound.HELD


def test_our_own_mail_coming_back_is_dropped_by_loop_detection(project, alice):
    deliver(mail())
    ack = OutgoingMessage.objects.get(kind="acknowledgement")
    echo = mail(headers={}).replace(b"Message-ID: <", b"X-Old-ID: <")
    echo = echo.replace(b"Subject:", f"Message-ID: {ack.message_id}\r\nSubject:".encode())
    row = deliver(echo)
    assert row.state == Inbound.DISCARDED and row.reasons[0]["rule"] == "loop"


def test_a_report_sent_again_is_marked_as_a_copy_of_the_first_for_the_moderator(project, alice):
    """A sender's MTA sends a message again when our 250 to it was lost; the
    MTA in front of secdesk adds a header of its own to each attempt. A copy
    of a report still held is read as its own (its trace headers may say
    other things than the first's), with a note naming the first."""
    raw = mail()
    first = deliver(raw)
    again = deliver(b"Received: by mx.libvirt.example; attempt 2\r\n" + raw)
    assert first.state == again.state == Inbound.HELD and again.case != first.case
    [note] = [r for r in again.reasons if r["rule"] == "copy_of_held"]
    assert f"#{first.pk}" in note["reason"]
    assert again.reasons[-1]["rule"] == "not_a_member"


def test_a_spam_verdict_on_a_first_copy_does_not_hold_the_reporters_answer(project, alice):
    """Someone who saw the reporter's answer on its way sends it first, with a
    spam verdict of their own on top: the answer still reaches the case."""
    report = deliver(mail())
    # The reporter's own reply address, in their acknowledgement.
    address = OutgoingMessage.objects.get(kind="acknowledgement").reply_to
    answer = mail(to=address, subject="Re: heap overflow", body="It crashes on 11.0 too.")
    theirs = deliver(b"X-Spam-Flag: YES\r\n" + answer, to=address)
    own = deliver(answer, to=address)
    assert theirs.state == Inbound.HELD and theirs.reasons[-1]["rule"] == "suspected_spam"
    assert own.state == Inbound.ACCEPTED and own.case == report.case


def test_a_copy_with_another_from_is_a_report_of_its_own_and_takes_nobodys(project, alice):
    """Someone who saw a report on its way sends it first under their own
    From: the finder's own report still opens its own case and is answered."""
    raw = mail()
    theirs = deliver(raw.replace(b"From: finder@research.example", b"From: mallory@evil.example"))
    own = deliver(b"Received: by mx.libvirt.example;\r\n\tattempt 2\r\n" + raw)
    assert theirs.opened_case and own.opened_case and own.case != theirs.case
    assert own.case.reporter.email == "finder@research.example"
    acknowledgements = OutgoingMessage.objects.filter(kind="acknowledgement")
    assert sorted(row.to for row in acknowledgements) == [
        ["finder@research.example"],
        ["mallory@evil.example"],
    ]


def test_a_message_set_aside_is_no_original_and_its_copy_is_read_as_its_own(project, alice):
    raw = mail()
    first = deliver(raw)
    InboundMessage.objects.filter(pk=first.pk).update(state=Inbound.QUARANTINED)
    again = deliver(raw)
    assert again.state == Inbound.HELD and again.opened_case and again.case != first.case


def test_the_same_message_id_with_another_text_or_to_another_address_is_its_own(project, alice):
    raw = mail()
    other_text = raw.replace(b"crafted domain XML", b"crafted network XML")
    rows = [deliver(raw), deliver(other_text), deliver(raw, to="security+typo@libvirt.example")]
    assert [row.state for row in rows] == [Inbound.HELD] * 3
    assert all(row.opened_case for row in rows) and Case.objects.count() == 3


def test_suspected_spam_is_held_never_dropped_and_not_answered(project, alice):
    row = deliver(mail(headers={"X-Spam-Flag": "YES"}))
    assert row.state == Inbound.HELD
    assert not OutgoingMessage.objects.filter(kind="acknowledgement").exists()
