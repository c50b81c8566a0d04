"""Reports by mail from non-members: each a case, received and held, with its
first message linked to the mail and, when RFC 3834 allows, an acknowledgement."""

from dataclasses import dataclass

from secdesk.audit.log import record_each
from secdesk.audit.models import AuditEvent
from secdesk.cases.actions.common import atomic, now
from secdesk.cases.actions.reports import check_report
from secdesk.cases.models import Case, Embargo, Message, ReportState
from secdesk.cases.numbers import assign_numbers
from secdesk.cases.report_machine import REPORT
from secdesk.lib.rows import Inserts, save_fields
from secdesk.mail import notices
from secdesk.mail.message_rows import link_mail_row, new_attachments
from secdesk.mail.models import Inbound, InboundMessage
from secdesk.teams.actions import people_for_addresses
from secdesk.teams.models import Project


@dataclass
class MailedReport:
    """A non-member's report by mail, as the intake read it."""

    inbound: InboundMessage
    parsed: object
    reporter_email: str
    reporter_name: str
    subject: str
    body: str
    acknowledge: bool


def do_receive_held_reports(project: Project, reports: list[MailedReport]) -> list[Case]:
    """Reports by mail from non-members, many of one project at once: the
    mail intake's batch, in one durable transaction. Each report gets its case,
    received and held (the report machine applies both moves), its first
    message linked to the mail, its attachments, one automatic acknowledgement
    when RFC 3834 allows, and an audit record of its own. A failure writes none
    of them."""
    if not reports:
        return []
    subjects = [check_report(r.subject, r.body) for r in reports]
    at = now()
    # Built before the transaction, which on SQLite holds up every other writer.
    cases, messages, inserts = _held_report_rows(project, reports, subjects, at)
    acknowledged = [(r, case) for r, case in zip(reports, cases, strict=True) if r.acknowledge]
    replies = notices.acknowledge_each(
        inserts,
        project,
        [(case, r.reporter_email, r.parsed.message_id) for r, case in acknowledged],
    )
    with atomic():
        people = people_for_addresses([(r.reporter_email, r.reporter_name) for r in reports])
        for r, case, message in zip(reports, cases, messages, strict=True):
            case.reporter = message.author = people[r.reporter_email.strip().lower()]
        _withhold_acknowledgements_over_limits(inserts, project, acknowledged, replies)
        # Numbered in the transaction, the project locked (`assign_numbers`).
        assign_numbers(project, cases)
        inserts.run()
        _mark_held(reports, cases, at)
        record_each(
            None,
            AuditEvent.REPORT_RECEIVED,
            [
                {
                    "case": case,
                    "reporter": case.reporter.email,
                    "zero_day": False,
                    "after": case.state,
                    "inbound": r.inbound.pk,
                    "acknowledged": r.acknowledge,
                }
                for r, case in zip(reports, cases, strict=True)
            ],
        )
    return cases


def _held_report_rows(project, reports, subjects, at) -> tuple[list, list, Inserts]:
    """The held reports' cases, their first messages, and every row to insert
    with them (embargoes, links to the mail, attachments); the reporters are
    filled in inside the transaction."""
    state = REPORT.apply(ReportState.RECEIVED, "hold")
    cases = [
        Case(project=project, title=subject[:300], state=state, received_at=at)
        for subject in subjects
    ]
    messages = [
        Message(case=case, subject=subject, body=r.body, created_at=at)
        for r, case, subject in zip(reports, cases, subjects, strict=True)
    ]
    inserts = Inserts()
    inserts.add(cases)
    inserts.add(Embargo(case=case) for case in cases)
    inserts.add(messages)
    inserts.add(
        link_mail_row(message, r.inbound, r.parsed)
        for r, message in zip(reports, messages, strict=True)
    )
    inserts.add(new_attachments([(r.inbound, r.parsed) for r in reports]))
    return cases, messages, inserts


def _withhold_acknowledgements_over_limits(inserts, project, acknowledged, replies) -> None:
    """Inside the transaction: the acknowledgements that would pass a limit are
    not sent, and their mail says why."""
    over = {id(row): why for row, why in notices.count_acknowledgements(inserts, project, replies)}
    for (r, _), reply in zip(acknowledged, replies, strict=True):
        if id(reply) in over:
            # A limit was reached: by this batch, or by another process
            # since the mail was read. The report is held all the same.
            r.acknowledge = False
            r.inbound.reasons = [*r.inbound.reasons, {**over[id(reply)], "acknowledgement": False}]


def _mark_held(reports, cases, at) -> None:
    for r, case in zip(reports, cases, strict=True):
        r.inbound.state, r.inbound.case, r.inbound.opened_case = Inbound.HELD, case, True
        r.inbound.decided_at = at
    save_fields(
        [r.inbound for r in reports],
        [
            "state",
            "case",
            "opened_case",
            "decided_at",
            "reasons",
            "sender",
            "subject",
            "message_id",
        ],
    )
