"""Rows of several kinds written together, in order, inside one transaction;
the same fields of many rows updated at once."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from secdesk.cases.models import Case, Embargo, Message
from secdesk.lib.rows import Inserts, save_fields
from secdesk.mail import intake
from secdesk.mail.addresses import resolve, security_addresses
from secdesk.mail.models import InboundMessage
from secdesk.teams.models import Person


def test_prepared_inserts_fill_in_the_ids_of_rows_inserted_before_them(project):
    reporter = Person.objects.create(email="finder@research.example")
    at = timezone.now()
    cases = [
        Case(project=project, number=n + 1, title=f"report {n}", received_at=at) for n in range(3)
    ]
    messages = [
        Message(case=case, subject=case.title, body="text", created_at=at) for case in cases
    ]
    inserts = Inserts()
    inserts.add(cases)
    inserts.add(Embargo(case=case) for case in cases)
    inserts.add(
        messages,
        fill=lambda message: setattr(message, "subject", f"[#{message.case.pk}]"),
    )
    with transaction.atomic():
        for case in cases:
            case.reporter = reporter
        inserts.run()
    for case, message in zip(cases, messages, strict=True):
        stored = Case.objects.get(pk=case.pk)
        assert stored.reporter == reporter and stored.embargo.case_id == case.pk
        assert Message.objects.get(pk=message.pk).case_id == case.pk
        assert Message.objects.get(pk=message.pk).subject == f"[#{case.pk}]"


def test_rows_discarded_from_prepared_inserts_are_not_written(project):
    at = timezone.now()
    cases = [
        Case(project=project, number=n + 1, title=f"report {n}", received_at=at) for n in range(3)
    ]
    inserts = Inserts()
    inserts.add(cases, fill=lambda case: setattr(case, "title", case.title + "!"))
    embargoes = inserts.add(Embargo(case=case) for case in cases)
    with transaction.atomic():
        inserts.discard([cases[1], embargoes[1]])
        inserts.run()
    assert sorted(Case.objects.values_list("title", flat=True)) == ["report 0!", "report 2!"]
    assert cases[1].pk is None and embargoes[1].pk is None
    assert sorted(Embargo.objects.values_list("case_id", flat=True)) == [cases[0].pk, cases[2].pk]


def test_a_row_pointing_to_a_discarded_row_is_refused_not_written_without_it(project):
    case = Case(project=project, number=1, title="report", received_at=timezone.now())
    inserts = Inserts()
    inserts.add([case])
    inserts.add([Embargo(case=case)])
    inserts.discard([case])
    with pytest.raises(ValueError, match="unsaved related object 'case'"), transaction.atomic():
        inserts.run()
    assert not Embargo.objects.exists()


def test_rows_written_by_prepared_inserts_keep_the_objects_they_point_to(
    project, django_assert_num_queries
):
    case = Case(project=project, number=1, title="report", received_at=timezone.now())
    inserts = Inserts()
    inserts.add([case])
    [embargo] = inserts.add([Embargo(case=case)])
    with transaction.atomic():
        inserts.run()
    with django_assert_num_queries(0):
        assert embargo.case is case and embargo.case_id == case.pk


def test_prepared_inserts_write_nothing_when_their_transaction_fails(project):
    inserts = Inserts()
    inserts.add([Case(project=project, number=1, title="lost", received_at=timezone.now())])
    with pytest.raises(RuntimeError), transaction.atomic():
        inserts.run()
        raise RuntimeError("the action failed after the INSERT")
    assert not Case.objects.filter(title="lost").exists()


def test_saved_fields_are_updated_for_each_row_and_no_others(project):
    at = timezone.now()
    rows = InboundMessage.objects.bulk_create(
        InboundMessage(raw=b"x", size=1, received_at=at, project=project) for _ in range(3)
    )
    for n, row in enumerate(rows):
        row.subject, row.reasons, row.decided_at = f"s{n}", [{"rule": "r"}], at + timedelta(n)
        row.sender = "not saved"
    save_fields(rows, ["subject", "reasons", "decided_at"])
    for n, row in enumerate(rows):
        stored = InboundMessage.objects.get(pk=row.pk)
        assert (stored.subject, stored.reasons) == (f"s{n}", [{"rule": "r"}])
        assert stored.decided_at == at + timedelta(n) and stored.sender == ""


@pytest.mark.django_db(transaction=True)
def test_mail_stored_outside_a_transaction_reads_back_as_the_orm_would_store_it(project):
    table = security_addresses()
    to = "security@libvirt.example"
    before = timezone.now()
    pks = intake.Intake(None).store(
        [
            intake.Envelope(
                b"Subject: one\r\n\r\nA\r\n", "a@x.example", [(to, resolve(to, table))]
            ),
            intake.Envelope(b"Subject: two\r\n\r\nB\r\n", "", [(to, resolve(to, table))], "::1"),
        ]
    )
    first, second = (InboundMessage.objects.get(pk=pk) for pk in pks)
    assert bytes(first.raw) == b"Subject: one\r\n\r\nA\r\n" and first.size == 19
    assert (first.mail_from, first.rcpt_tos, first.project_id) == ("a@x.example", [to], project.pk)
    assert (first.state, first.reasons, first.opened_case, first.case) == (
        "received",
        [],
        False,
        None,
    )
    assert before <= first.received_at <= timezone.now()
    assert (second.mail_from, second.peer) == ("", "::1")
