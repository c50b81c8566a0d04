"""What the case page shows first: the one thing the case waits for, and a
line for each panel, which at phone width is folded to that line (the
thread paginated), so the page opens on the state, the countdown and the
next step."""

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator

from secdesk.audit.models import AuditEvent, AuditRecord
from secdesk.cases.embargo_machine import IN_FORCE
from secdesk.cases.models import ReportState


@dataclass(frozen=True)
class NextStep:
    text: str
    panel: str = ""  # the panel (and its anchor) where the step is taken


FINISHED = {ReportState.INVALID, ReportState.DEFERRED, ReportState.CLOSED}


def publishing(case) -> bool:
    """A publication started that the worker has not finished."""
    try:
        return case.publication.finished_at is None
    except ObjectDoesNotExist:
        return False


def next_step(case, embargo, proposal, blocking, fix_problems) -> NextStep:
    """In the order a case lives: moderation, validation, triage, the embargo,
    the CVE id and fixes, publication."""
    if case.published_at is not None:
        return NextStep("Published. Amend the advisory if something changed.", "publish")
    if publishing(case):
        return NextStep("Nothing: the worker is publishing the advisory.", "publish")
    if case.state in FINISHED:
        return NextStep(f"Nothing: the case is {case.state}.")
    if case.state == ReportState.HELD:
        return NextStep("A moderator approves or rejects the held report.")
    if case.state == ReportState.RECEIVED:
        return NextStep("Validate the report, or invalidate it.", "report")
    if case.state == ReportState.VALID:
        return NextStep("Accept the case, for the team to work on it.", "report")
    if case.is_security_issue is None:
        return NextStep("Triage: is it a security issue, and how severe?", "triage")
    if case.is_security_issue is False:
        return NextStep("Not a security issue: close the case.", "report")
    if proposal is not None:
        return NextStep("Decide on the open embargo proposal.", "embargo")
    in_force = embargo is not None and embargo.state in IN_FORCE
    if not in_force and not case.public_at_intake and case.public_at is None:
        return NextStep("Propose an embargo.", "embargo")
    if blocking or fix_problems:
        problem = (blocking or fix_problems)[0]
        return NextStep(f"Before publication: {problem}.", "fixes")
    if in_force:
        return NextStep("Publish the advisory when the embargo ends.", "publish")
    return NextStep("Publish the advisory.", "publish")


# A thread page: enough for the latest exchange, short enough for a phone.
MESSAGES_PER_PAGE = 20


def thread_page(case, asked):
    """The page of the thread asked for (`?thread=N`), the newest by default:
    a team comes back to a case for what was said last. Messages read oldest
    first within a page, the reply box below them."""
    return latest_page(case.messages.select_related("author"), MESSAGES_PER_PAGE, asked)


# The case's history, a page at a time: each post's record names its recipients.
RECORDS_PER_PAGE = 20


def history_page(case, asked):
    """The page of the case's history asked for (`?history=N`), the latest by
    default. Views of the case are kept for embargo breaches (the audit page
    lists them); here they would bury what happened to the case."""
    records = (
        AuditRecord.objects.filter(case_id=case.pk)
        .exclude(event=AuditEvent.CASE_VIEWED)
        .select_related("actor")
    )
    return latest_page(records, RECORDS_PER_PAGE, asked)


def latest_page(items, per_page: int, asked):
    """Page `asked` of `items`, the last page unless a page is asked for."""
    paginator = Paginator(items, per_page)
    try:
        number = int(asked) if asked else paginator.num_pages
    except ValueError:
        number = paginator.num_pages
    return paginator.get_page(number)


def _plural(count: int, word: str, words: str = "") -> str:
    return f"{count} {word if count == 1 else words or word + 's'}"


def fold_lines(case, c) -> dict[str, str]:
    """Each panel's one-line summary, from the page's context `c`."""
    embargo = c["embargo"]
    facts_set = sum(1 for _, _, at in c["facts"] if at)
    cves = [cve.cve_id for cve in c["cve_ids"]]
    fixes = sum(len(row.fixes) for row in c["branches"])
    problems = len(c["blocking"]) + len(c["fix_problems"])
    score = case.cvss3_score or case.cvss4_score
    return {
        "summary": f"from {case.reporter or 'unknown'}",
        "report": case.get_state_display().lower(),
        "embargo": embargo.get_state_display().lower() if embargo else "none",
        "triage": {
            None: "not decided yet",
            True: "a security issue",
            False: "not a security issue",
        }[case.is_security_issue]
        + (f", CVSS {score}" if score is not None else ""),
        "facts": f"{facts_set} of {len(c['facts'])} set",
        "fixes": ", ".join([*cves, _plural(fixes, "fix", "fixes")]),
        "publish": publish_line(case, problems),
        "advisory": c["advisory"].title if c["advisory"] else "not written yet",
        "thread": _plural(c["thread"].paginator.count, "message"),
        "restriction": _plural(len(c["restricted_to"]), "member")
        if c["restricted_to"]
        else "the whole team",
        "private_link": "issue a new one if it leaked",
        "history": _plural(c["history"].paginator.count, "event"),
    }


def publish_line(case, problems: int) -> str:
    """The publication panel's line; the panel polled alone shows it too."""
    if case.published_at:
        return "published"
    if publishing(case):
        return f"being published: {case.publication.progress}"
    return _plural(problems, "problem") + " before publication" if problems else "ready"
