"""Posts on a case, each distributed as mail: the team's replies and notes, the
reporter's answers, and mail that joins a case."""

from dataclasses import dataclass

from django.db import connection

from secdesk.audit.log import record, record_each
from secdesk.audit.models import AuditEvent
from secdesk.cases import capabilities
from secdesk.cases.access import reporter_admitted, require_case
from secdesk.cases.actions.common import atomic, lock_case, now
from secdesk.cases.models import Message, ReportState
from secdesk.errors import BadInput
from secdesk.lib.rows import Inserts, save_fields
from secdesk.mail.distribution import (
    audience,
    distribute,
    envelopes,
    name_envelope,
    tokens_needed,
)
from secdesk.mail.message_rows import link_mail_row, new_attachments
from secdesk.mail.models import Inbound, InboundMessage, MessageMail
from secdesk.teams.models import Person

# A case in these states has not been approved yet: what its reporter adds
# waits for the moderator, like the report itself.
UNAPPROVED = (ReportState.RECEIVED, ReportState.HELD)


def do_post_reply(case, *, body: str, internal: bool = False, subject: str = "", acting: Person):
    """A member's reply on the case (web, CLI): to every member, and to the
    reporter unless it is an internal note."""
    if not body.strip():
        raise BadInput("a reply needs a text")
    with atomic():
        case = lock_case(case)
        require_case(acting, case)
        message = Message.objects.create(
            case=case,
            author=acting,
            subject=subject.strip()[:500],
            body=body,
            internal=internal,
            created_at=now(),
        )
        MessageMail.objects.create(case_message=message)
        rows = distribute(message, to_reporter=True)
        record(
            acting,
            AuditEvent.REPLY_POSTED,
            case=case,
            message=message.pk,
            internal=internal,
            recipients=[address for row in rows for address in row.to],
        )
    return message


@dataclass
class MailedPost:
    """Mail that joins a case, as the intake read it."""

    inbound: InboundMessage
    parsed: object
    author: Person
    member: bool  # a member's post (authenticated), else the reporter's answer


def do_append_mail(case, *, inbound, parsed, author: Person, member: bool):
    """Mail that joins a case: a member's post (to the team and the reporter) or
    the reporter's answer (to the team, once the report is approved)."""
    return do_append_mails(case, [MailedPost(inbound, parsed, author, member)])[0]


def do_append_mails(case, posts: list[MailedPost]) -> list[Message]:
    """`do_append_mail` for many mails into one case, in one transaction (the
    mail intake's batch): each its message, its link to the mail, its
    attachments, its distribution and its own audit record.

    On SQLite, whose one writer holds up every other, the rows are built
    before the transaction from the case as it stands then; inside it, what
    they are built from is read again under the case's lock, and the rows
    built again in the rare event that it has changed. On PostgreSQL they
    are built once, inside: reading twice cost a post 3 of its 34 queries
    and 2 of the 26 ms the mail rules spent on it."""
    at = now()
    plan = None
    if connection.vendor == "sqlite":
        plan = _Appending(case, posts, at, _Standing.of(case, posts))
    with atomic():
        case = lock_case(case)
        standing = _Standing.of(case, posts)
        if plan is None or standing.key() != plan.standing.key():
            plan = _Appending(case, posts, at, standing)
        plan.inserts.run()
        for post in posts:
            post.inbound.state, post.inbound.case, post.inbound.decided_at = (
                Inbound.ACCEPTED,
                case,
                at,
            )
        save_fields(
            [post.inbound for post in posts],
            ["state", "case", "decided_at", "reasons", "sender", "subject", "message_id"],
        )
        record_each(
            None,
            AuditEvent.MAIL_APPENDED,
            [
                {
                    "actor": post.author if post.member else None,
                    "case": case,
                    "message": message.pk,
                    "inbound": post.inbound.pk,
                    "by": post.author.email,
                    "recipients": [address for row in rows for address in row.to],
                }
                for post, message, rows in zip(posts, plan.messages, plan.envelopes, strict=True)
            ],
        )
    return plan.messages


@dataclass(eq=False)
class _Standing:
    """What the rows of mail joining a case are built from: the case's state,
    its audience, whether its reporter is admitted (one who was a member and
    lost access to the case hears nothing more), and the reply addresses."""

    state: str
    members: list[tuple[int, str]]
    admitted: bool
    tokens: capabilities.Planned

    @classmethod
    def of(cls, case, posts: list[MailedPost]) -> "_Standing":
        members = audience(case)
        admitted = reporter_admitted(case)
        to_reporter = admitted and any(p.member for p in posts)
        replies, links = tokens_needed(case, members, to_reporter=to_reporter)
        return cls(case.state, members, admitted, capabilities.plan(case, replies, links))

    def key(self) -> tuple:
        """What must be alike for rows built earlier to stand: the tokens to
        be made are new each time, the live ones the case's."""
        return (self.state, self.members, self.admitted, self.tokens.live)


class _Appending:
    """The rows that mail joining a case makes, for the case as it stands."""

    def __init__(self, case, posts: list[MailedPost], at, standing: _Standing):
        self.standing = standing
        members, admitted = standing.members, standing.admitted
        self.tokens = standing.tokens
        self.messages = [
            Message(
                case=case,
                author=post.author,
                subject=post.parsed.subject,
                body=post.parsed.body or "(no text; see the attachments)",
                created_at=at,
            )
            for post in posts
        ]
        mails, self.envelopes = [], []
        for post, message in zip(posts, self.messages, strict=True):
            mail = link_mail_row(message, post.inbound, post.parsed)
            rows = []
            if post.member or case.state not in UNAPPROVED:
                to_reporter = post.member and admitted
                rows = envelopes(message, members, self.tokens, to_reporter=to_reporter)
                mail.distributed_at = at
            mails.append(mail)
            self.envelopes.append(rows)
        self.inserts = Inserts()
        self.inserts.add(self.tokens.new)
        self.inserts.add(self.messages)
        self.inserts.add(new_attachments([(post.inbound, post.parsed) for post in posts]))
        self.inserts.add(mails)
        self.inserts.add((row for rows in self.envelopes for row in rows), fill=name_envelope)


def do_post_reporter_reply(case, *, body: str):
    """The reporter's answer from their private page: like their answer by mail,
    it joins the case and goes to the team, once the report is approved. The
    private link is their authentication, so there is no acting member."""
    if not body.strip():
        raise BadInput("write your answer first")
    with atomic():
        case = lock_case(case)
        message = Message.objects.create(
            case=case, author=case.reporter, body=body, created_at=now()
        )
        MessageMail.objects.create(case_message=message)
        rows = []
        if case.state not in UNAPPROVED:
            rows = distribute(message, to_reporter=False)
        record(
            None,
            AuditEvent.REPORTER_REPLIED,
            case=case,
            message=message.pk,
            by=case.reporter.email if case.reporter else None,
            recipients=[address for row in rows for address in row.to],
        )
    return message
