"""Anchors: the end of the trail, sealed and mailed to the admins, against which
`secdesk audit verify` shows a trail rewritten or cut short by someone who could
write the database but has not the audit key."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from secdesk import worker
from secdesk.audit import seal
from secdesk.audit.models import AuditAnchor, AuditEvent, AuditHead, AuditRecord
from secdesk.audit.verify import check_trail
from secdesk.cli.main import main
from secdesk.errors import NotAllowed
from secdesk.mail.audit_anchors import anchor_when_due, do_anchor_audit
from secdesk.outbox.models import OutgoingMessage
from secdesk.teams.actions import do_accept_policy, do_add_member, do_create_project

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def secdesk(capsys, *argv):
    """The `secdesk` command, run in this process on the test database."""
    with pytest.raises(SystemExit) as done:
        main(list(argv))
    said = capsys.readouterr()
    return done.value.code, said.out, said.err


@pytest.fixture
def trail(new_case, alice, bob):
    new_case()


@pytest.fixture
def qemu(root, alice):
    """A second project, administered by erin and by alice (who admins both)."""
    project = do_create_project(
        slug="qemu", name="QEMU", security_address="security@qemu.example", acting=root
    )
    for email in ("erin@qemu.example", alice.email):
        membership = do_add_member(project, email=email, role="admin", acting=root)
        do_accept_policy(project, acting=membership.person)
    return project


def _mailed_token(email: str) -> str:
    (row,) = OutgoingMessage.objects.filter(kind="audit-anchor", to=[email])
    (token,) = re.findall(r"^\d+:[0-9a-f]{64}:\d{8}T\d{6}Z:[0-9a-f]{64}$", row.body, re.M)
    return token


def _rewrite_with_sha256() -> None:
    """What someone who can write the database, but has not the key, does: every
    record changed and given a fresh, correctly chained SHA-256 hash; the head
    set to match."""
    prev = seal.GENESIS
    for entry in AuditRecord.objects.order_by("seq"):
        entry.details = {**entry.details, "reporter": "someone@else.example"}
        entry.prev_hash = prev
        entry.hash = hashlib.sha256((prev + seal.record_text(entry)).encode()).hexdigest()
        entry.save()
        prev = entry.hash
    head = AuditHead.objects.get(pk=1)
    head.last_hash = prev
    head.seal = hashlib.sha256(f"head:{head.count}:{prev}".encode()).hexdigest()
    head.save()


def test_an_anchor_seals_the_end_of_the_trail_and_mails_each_admin_alone(
    trail, qemu, root, alice, bob, dave
):
    anchor = do_anchor_audit(acting=alice)
    head = AuditHead.objects.get(pk=1)
    assert (anchor.seq, anchor.hash) == (head.count, head.last_hash)
    assert AuditRecord.objects.get(seq=anchor.seq).event == AuditEvent.AUDIT_ANCHORED
    assert anchor.seal == seal.anchor_seal(anchor.seq, anchor.hash, anchor.stamp)
    rows = OutgoingMessage.objects.filter(kind="audit-anchor").order_by("pk")
    assert sorted((r.to, r.cc, r.project.slug) for r in rows) == [
        ([alice.email], [], "libvirt"),
        (["erin@qemu.example"], [], "qemu"),
        ([root.email], [], "libvirt"),
    ]
    assert all(anchor.token in r.body for r in rows)
    assert _mailed_token(alice.email) == anchor.token


def test_only_an_admin_anchors_the_trail(trail, bob, dave):
    for person in (bob, dave):
        with pytest.raises(NotAllowed):
            do_anchor_audit(acting=person)
    assert not AuditAnchor.objects.exists()


def test_the_worker_anchors_once_a_day_and_only_when_the_trail_grew(project, alice, new_case):
    with time_machine.travel(T0, tick=False) as clock:
        first = worker.tick()["anchored"]
        assert first == AuditHead.objects.get(pk=1).count
        clock.shift(timedelta(hours=23))
        new_case()
        assert anchor_when_due() is None
        clock.shift(timedelta(hours=1))
        second = anchor_when_due()
        assert second.seq == AuditHead.objects.get(pk=1).count > first
        clock.shift(timedelta(days=3))
        assert anchor_when_due() is None
    assert AuditAnchor.objects.count() == 2


def test_an_untouched_anchored_trail_verifies(trail, alice, new_case, capsys):
    first = do_anchor_audit(acting=alice)
    new_case(subject="Another crash")
    last = do_anchor_audit(acting=alice)
    code, out, _ = secdesk(capsys, "audit", "verify", "--anchor", first.token)
    count = AuditRecord.objects.count()
    assert (code, out.strip()) == (
        0,
        f"audit trail intact: {count} records "
        f"(last anchored at record {last.seq}, {last.at:%Y-%m-%d %H:%M} UTC)",
    )


def test_a_trail_rewritten_whole_with_fresh_sha256_hashes_is_reported_against_the_last_anchor(
    trail, alice, capsys
):
    anchor = do_anchor_audit(acting=alice)
    count = AuditRecord.objects.count()
    _rewrite_with_sha256()
    code, out, _ = secdesk(capsys, "audit", "verify")
    assert code == 1
    assert out.splitlines() == [
        f"audit trail broken: records 1–{count} were changed after they were written",
        "audit trail broken: the head of the chain was rewritten without the audit key",
        f"audit trail broken: record {anchor.seq} differs from the anchor of "
        f"{anchor.at:%Y-%m-%d %H:%M} UTC",
    ]
    assert "finder@research.example" not in out and "someone@else" not in out


def test_the_anchor_from_the_mail_shows_a_rewrite_that_also_removed_the_kept_anchors(
    trail, alice, capsys
):
    anchor = do_anchor_audit(acting=alice)
    _rewrite_with_sha256()
    AuditAnchor.objects.all().delete()
    code, out, _ = secdesk(
        capsys, "--json", "audit", "verify", "--anchor", _mailed_token(alice.email)
    )
    assert code == 1
    assert (
        f"record {anchor.seq} differs from the anchor given of {anchor.at:%Y-%m-%d %H:%M} UTC"
    ) in out


def test_an_anchor_rewritten_to_match_a_rewritten_trail_is_named(trail, alice):
    anchor = do_anchor_audit(acting=alice)
    _rewrite_with_sha256()
    forged = AuditRecord.objects.get(seq=anchor.seq).hash
    AuditAnchor.objects.filter(pk=anchor.pk).update(hash=forged)
    assert check_trail().problems[-1] == (
        f"the anchor of {anchor.at:%Y-%m-%d %H:%M} UTC (record {anchor.seq}) "
        "was not sealed with this secdesk's audit key"
    )


def test_records_cut_off_after_the_last_anchor_with_the_head_rewritten_are_detected(
    trail, alice, new_case, capsys
):
    anchor = do_anchor_audit(acting=alice)
    new_case(subject="Another crash")
    AuditRecord.objects.filter(seq__gt=anchor.seq).delete()
    AuditHead.objects.filter(pk=1).update(count=anchor.seq, last_hash=anchor.hash, seal=anchor.seal)
    code, out, _ = secdesk(capsys, "audit", "verify")
    assert (code, out.strip()) == (
        1,
        "audit trail broken: the head of the chain was rewritten without the audit key",
    )


def test_records_cut_off_before_the_last_anchor_are_named_by_it(trail, alice):
    anchor = do_anchor_audit(acting=alice)
    kept = AuditRecord.objects.get(seq=anchor.seq - 3)
    AuditRecord.objects.filter(seq__gt=kept.seq).delete()
    AuditHead.objects.filter(pk=1).update(count=kept.seq, last_hash=kept.hash)
    assert check_trail().problems == [
        "the head of the chain was rewritten without the audit key",
        f"record {anchor.seq} is missing, though the anchor of "
        f"{anchor.at:%Y-%m-%d %H:%M} UTC names it",
    ]


def test_a_malformed_anchor_is_refused_with_what_an_anchor_looks_like(trail, capsys):
    code, out, err = secdesk(capsys, "audit", "verify", "--anchor", "12:abc")
    assert code == 2 and out == ""
    assert err.startswith("secdesk: an anchor reads SEQ:HASH:TIME:SEAL")


def test_audit_anchor_prints_the_anchor_the_admins_receive(trail, alice, capsys):
    code, out, _ = secdesk(capsys, "--json", "--as", alice.email, "audit", "anchor")
    anchor = AuditAnchor.objects.get()
    assert code == 0
    assert f'"token": "{anchor.token}"' in out
