"""The mail secdesk writes on its own: the acknowledgement of a held report,
the notice of a rejection, the escalation of a report held too long."""

from collections import Counter

from django.utils import timezone

from secdesk.cases import capabilities
from secdesk.cases.access import case_admins
from secdesk.lib.mail_text import mail_text
from secdesk.lib.rows import Inserts, save_fields
from secdesk.lib.text import one_line
from secdesk.mail import distribution
from secdesk.mail.models import AcknowledgementCount
from secdesk.outbox import queue
from secdesk.outbox.addresses import reply_address
from secdesk.outbox.models import OutgoingMessage
from secdesk.outbox.queue import subject_for

# How much of a report's subject its acknowledgement repeats.
ACKNOWLEDGED_SUBJECT = 40


def acknowledge_each(inserts: Inserts, project, replies: list[tuple]) -> list[OutgoingMessage]:
    """RFC 3834 §3: an automatic reply, marked so, to each report's sender, for
    (case, to, in_reply_to) of one project; the cases may not have their ids
    yet. The replies are built now and added to `inserts`, which words each
    with its case's reference when it runs; `count_acknowledgements`, in the
    transaction, counts them and takes back any over the day's limit.

    Each reporter is issued their reply address and their private link with
    the case (inserted with it, once the reporter is known)."""
    at = timezone.now()
    issued = [capabilities.for_new_reporter(case, at) for case, _, _ in replies]
    inserts.add([c for pair in issued for c in pair], fill=capabilities.take_reporter)
    rows = []
    for (case, to, in_reply_to), (reply, link) in zip(replies, issued, strict=True):
        row = queue.new_row(
            project=project,
            to=[to],
            subject="",
            body="",
            kind="acknowledgement",
            case=case,
            reply_to=reply_address(project, reply.token),
            headers=(
                {"In-Reply-To": in_reply_to, "References": in_reply_to} if in_reply_to else {}
            ),
        )
        row.link = link.token
        rows.append(row)
    return inserts.add(rows, fill=_word_acknowledgement)


def _word_acknowledgement(row) -> None:
    case = row.case
    # The reporter sees their subject, but no more than a reminder of it:
    # whoever forges a sender must not get a spam line of their own choosing
    # mailed to anyone.
    row.subject = f"Auto: [{case.reference}] {one_line(case.title, ACKNOWLEDGED_SUBJECT)}"
    row.headers = {
        **row.headers,
        "Auto-Submitted": queue.AUTO_REPLIED,
        "X-Secdesk-Case": case.reference,
    }
    row.body = mail_text(
        "mail/acknowledgement.txt",
        project=case.project,
        reference=case.reference,
        link=capabilities.reporter_url(row.link),
    )


def _counts_towards(address: str, at) -> tuple[str, str, str]:
    """The counts, each a row of the day, that an acknowledgement to `address`
    goes towards: the sender's in the day, its domain's in this hour, and
    everyone's in this hour. The last two are keyed by what cannot be an
    address (nothing before the @), so they never meet a sender's."""
    domain = address.rpartition("@")[2]
    return address, f"@{domain} {at:%H}:00", f"@* {at:%H}:00"


def _over_limit(policy, address: str, which: int) -> dict:
    """Why an acknowledgement is not sent: the reason a moderator sees."""
    if which == 0:
        limit = policy.acknowledgements_per_day
        return {
            "rule": "acknowledged_enough_today",
            "reason": f"{limit} automatic replies to this sender today already",
        }
    if which == 1:
        limit = policy.acknowledgements_per_domain_per_hour
        domain = address.rpartition("@")[2]
        return {
            "rule": "acknowledged_enough_for_domain",
            "reason": f"{limit} automatic replies to addresses at {domain} this hour already",
        }
    limit = policy.acknowledgements_per_hour
    return {
        "rule": "acknowledged_enough_this_hour",
        "reason": f"{limit} automatic replies to anyone this hour already",
    }


def count_acknowledgements(
    inserts: Inserts, project, replies: list[OutgoingMessage]
) -> list[tuple[OutgoingMessage, dict]]:
    """Count the replies towards the limits, in the transaction that queues
    them: per sender in the day, per sender's domain in the hour, and in all
    in the hour (forged senders must not make secdesk mail anyone, at any
    rate). The sender's limit was checked when the mail was read; another
    process may have acknowledged since, so every limit is checked here:
    replies over one are taken out of `inserts`, and returned with the reason.
    The counts are read under a lock (SQLite's, or each count row's on
    PostgreSQL, taken in one order so that two processes cannot deadlock). A
    first count has no row to lock: its row is written first, at zero, unless
    there is one; one that another process is writing is waited for and left
    as it is. (Written last, as it was, two mail processes writing the hour's
    first count at once met the table's unique constraint, and their reports
    went to quarantine: bench/scale_out.py.)"""
    policy = project.policy
    limits = (
        policy.acknowledgements_per_day,
        policy.acknowledgements_per_domain_per_hour,
        policy.acknowledgements_per_hour,
    )
    at = timezone.localtime()
    keys = {id(row): _counts_towards(row.to[0].lower(), at) for row in replies}
    wanted = sorted({key for row_keys in keys.values() for key in row_keys})
    AcknowledgementCount.objects.bulk_create(
        [AcknowledgementCount(project=project, address=a, day=at.date()) for a in wanted],
        ignore_conflicts=True,
    )
    counts = {
        row.address: row
        for row in AcknowledgementCount.objects.select_for_update()
        .filter(project=project, day=at.date(), address__in=wanted)
        .order_by("address")
    }
    taken = Counter({address: row.count for address, row in counts.items()})
    over = []
    for row in replies:
        full = [n for n, key in enumerate(keys[id(row)]) if taken[key] >= limits[n]]
        if full:
            over.append((row, _over_limit(policy, row.to[0].lower(), full[0])))
            continue
        taken.update(keys[id(row)])
    inserts.discard([row for row, _ in over])
    for address, row in counts.items():
        row.count = taken[address]
    save_fields(list(counts.values()), ["count"])
    return over


def rejected(case, *, reason: str):
    """The reporter is told why their report was rejected (not for spam)."""
    if case.reporter is None:
        return None
    reporter = case.reporter_id
    tokens = capabilities.issued(case, [reporter], [reporter])
    body = mail_text(
        "mail/rejection.txt",
        project=case.project,
        reference=case.reference,
        reason=reason.strip(),
        link=capabilities.reporter_url(tokens.link(reporter)),
    )
    return queue.enqueue(
        project=case.project,
        to=[case.reporter.email],
        subject=subject_for(case, case.title),
        body=body,
        kind="rejection",
        case=case,
        reply_to=reply_address(case.project, tokens.reply(reporter)),
        headers={"X-Secdesk-Case": case.reference},
        dedupe_key=f"rejected:{case.pk}",
    )


def escalate(case, *, held: int, hours: int) -> list[OutgoingMessage]:
    """Tell the admins who may see the case that its report has waited too
    long: one mail each, with their own reply address. Once per case: the
    mail queued now, none if it went out before."""
    if OutgoingMessage.objects.filter(case=case, kind="escalation").exists():
        return []
    body = mail_text("mail/escalation.txt", reference=case.reference, hours=hours, held=held)
    return distribution.enqueue_each(
        project=case.project,
        people=list(case_admins(case).order_by("email")),
        subject=f"[{case.reference}] held report waiting for moderation",
        body=body,
        kind="escalation",
        case=case,
        headers={"X-Secdesk-Case": case.reference},
        dedupe_key=f"escalation:{case.pk}",
    )
