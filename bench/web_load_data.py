"""The data set of bench/web_load.py, built through secdesk's own actions.

At scale 1: 10,000 cases in 3 projects, 100 members, 200,000 messages, as a
team that has run for years would have them. Reports arrive as mail through
the intake and wait for moderation; moderators approve most (the report then
goes to every member, who each get their own reply address), reject some and
leave some held; the team's mail into each case arrives through the intake
too, authenticated by the site's MTA, to the reply addresses the members
received. Then each case goes its way: closed, deferred, still open under an
embargo, or published with its CVE id and fix.

Only the build's own connection to SQLite writes without waiting for the
disk (`PRAGMA synchronous=OFF`): a crash would lose the build, which is
made again. Every action runs as it runs in secdesk, one transaction each.
"""

import itertools
import random
from dataclasses import dataclass, field
from datetime import timedelta

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

# (slug, share of the cases); the members are spread the same way.
PROJECTS = (("alpha", 0.5), ("beta", 0.3), ("gamma", 0.2))
MEMBERS = 100
CASES = 10_000
MESSAGES = 200_000
BUSY_MESSAGES = 200
LEAD = "lead@bench.example"
MTA = "mx.bench.example"
BATCH = 200

# What becomes of the cases, by share, in the order the builder hands them out.
FATES = (
    ("held", 0.01),
    ("rejected", 0.20),
    ("valid", 0.02),
    ("deferred", 0.10),
    ("open", 0.10),
    ("published", 0.02),
    ("closed", 0.55),
)
COMPONENTS = ("parser", "scheduler", "storage pool", "event loop", "RPC server", "image loader")
FLAWS = ("heap overflow", "use-after-free", "path traversal", "ACL bypass", "integer overflow")
CVSS_HIGH = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"


@dataclass
class Built:
    """What the bench needs to know of the data set it measures."""

    lead: str = LEAD
    busy: str = ""  # the reference of the case with BUSY_MESSAGES messages
    advisory: str = ""  # the public id of a published advisory
    cases: int = 0
    messages: int = 0
    fates: dict = field(default_factory=dict)


def fates(count: int) -> list[str]:
    """The fate of each of `count` cases, in the order they arrive."""
    plan = list(
        itertools.chain.from_iterable([fate] * round(count * share) for fate, share in FATES[:-1])
    )
    plan += ["closed"] * (count - len(plan))
    # Mixed, not sorted: every page of a listing holds some of each, as in life.
    random.Random(17).shuffle(plan)
    return plan


def build(scale: float) -> Built:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
    count = max(20, round(CASES * scale))
    messages = max(count + BUSY_MESSAGES, round(MESSAGES * scale))
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        # The build runs as the bench's child, whose output is its result.
        console=Console(stderr=True),
    ) as progress:
        root, projects, members = _team(progress)
        plan = fates(count)
        cases = _reports(progress, projects, plan)
        fate = {case.pk: fate for case, fate in zip(cases, plan, strict=True)}
        approved = _moderate(progress, cases, fate, members)
        # The case the team talks most about is one still open.
        busy = next(case for case in approved if fate[case.pk] == "open")
        _posts(progress, approved, busy, messages - count, members)
        advisory = _lifecycles(progress, approved, fate, members)
        _restrictions(progress, root, approved, members)
    return Built(
        busy=busy.reference,
        advisory=advisory,
        cases=count,
        messages=messages,
        fates={fate: plan.count(fate) for fate, _ in FATES},
    )


def _team(progress):
    """The three projects, trusting their MTA's DKIM results; the lead, an
    admin of all three; the other members spread over them, some on two."""
    from secdesk.teams.actions import (
        do_accept_policy,
        do_add_member,
        do_create_admin,
        do_create_project,
    )

    root = do_create_admin("root@bench.example", name="Site Admin")
    projects = []
    for slug, _ in PROJECTS:
        project = do_create_project(
            slug=slug,
            name=slug.capitalize(),
            security_address=f"security@{slug}.example",
            dev_list=f"devel@lists.{slug}.example",
            announce_list=f"announce@lists.{slug}.example",
            acting=root,
        )
        project.trust_mta_authentication, project.mta_authserv_id = True, MTA
        project.save()
        projects.append(project)
    people = [(LEAD, "Lee Lead")] + [
        (f"member{n}@vendor{n % 17}.example", f"Member {n}") for n in range(MEMBERS - 1)
    ]
    task = progress.add_task("members", total=len(people))
    members = {project.pk: [] for project in projects}
    for n, (email, name) in enumerate(people):
        for project in _projects_of(n, projects):
            role = "admin" if n == 0 else "moderator" if n % 10 == 1 else "member"
            membership = do_add_member(project, email=email, name=name, role=role, acting=root)
            do_accept_policy(project, acting=membership.person)
            members[project.pk].append(membership.person)
        progress.advance(task)
    return root, projects, members


def _projects_of(n: int, projects) -> list:
    """Member n's projects: the lead all; the others by the projects' shares,
    with the members at each border on both sides of it."""
    if n == 0:
        return list(projects)
    found, start = [], 0.0
    for project, (_, share) in zip(projects, PROJECTS, strict=True):
        low, high = start * MEMBERS - 3, (start + share) * MEMBERS + 3
        if low <= n < high:
            found.append(project)
        start += share
    return found


def _title(n: int) -> str:
    component = COMPONENTS[n % len(COMPONENTS)]
    flaw = FLAWS[(n // len(COMPONENTS)) % len(FLAWS)]
    return f"{flaw.capitalize()} in the {component} (report {n})"


def _reports(progress, projects, plan) -> list:
    """Every report mailed to its project's security address by someone
    outside the team, through the intake: held, acknowledged."""
    from secdesk.cases.models import Case
    from secdesk.mail.addresses import Recipient
    from secdesk.mail.intake import Envelope, Intake

    task = progress.add_task("reports (intake)", total=len(plan))
    intake = Intake(None)
    shares = list(itertools.accumulate(share for _, share in PROJECTS))
    for start in range(0, len(plan), BATCH):
        envelopes = []
        for n in range(start, min(start + BATCH, len(plan))):
            project = projects[next(i for i, s in enumerate(shares) if (n % 100) / 100 < s)]
            sender = f"finder{n % 997}@research{n % 13}.example"
            raw = (
                f"From: Finder {n % 997} <{sender}>\r\nTo: {project.security_address}\r\n"
                f"Subject: {_title(n)}\r\nMessage-ID: <report.{n}@research.example>\r\n\r\n"
                f"Steps to reproduce:\r\n{'A crafted input reaches the code path. ' * 8}\r\n"
            ).encode()
            envelopes.append(
                Envelope(raw, sender, [(project.security_address, Recipient(project.pk))])
            )
        intake.store(envelopes)
        intake.process_pending(limit=len(envelopes))
        progress.advance(task, len(envelopes))
    return list(Case.objects.select_related("project").order_by("pk"))


def _moderate(progress, cases, fate: dict, members) -> list:
    """The moderators' decisions: held reports rejected, approved, or left."""
    from secdesk.mail import moderation
    from secdesk.mail.models import InboundMessage

    task = progress.add_task("moderation", total=len(cases))
    rows = {row.case_id: row for row in InboundMessage.objects.filter(opened_case=True)}
    approved = []
    for case in cases:
        moderator = members[case.project_id][0]
        if fate[case.pk] == "rejected":
            moderation.do_reject(
                rows[case.pk], reason="Not a security issue: a feature request.", acting=moderator
            )
        elif fate[case.pk] != "held":
            moderation.do_approve(rows[case.pk], acting=moderator)
            approved.append(case)
        progress.advance(task)
    return approved


def _posts(progress, approved, busy, count: int, members) -> None:
    """The team's mail into its cases, through the intake: each member writes
    to the reply address they received with the report, signed by their
    domain as the MTA checked it. The busy case gets BUSY_MESSAGES; the rest
    are spread over the other cases."""
    from secdesk.mail.intake import Envelope, Intake

    others = [case for case in approved if case.pk != busy.pk]
    targets = [busy] * BUSY_MESSAGES + [
        others[n % len(others)] for n in range(max(0, count - BUSY_MESSAGES))
    ]
    targets.sort(key=lambda case: case.pk)  # a case's mail arrives together
    task = progress.add_task("team mail (intake)", total=len(targets))
    intake = Intake(None)
    addresses = _reply_addresses()
    for start in range(0, len(targets), BATCH):
        envelopes = []
        for n in range(start, min(start + BATCH, len(targets))):
            case = targets[n]
            team = members[case.project_id]
            sender = team[n % len(team)].email
            to = addresses[(case.pk, sender)]
            envelopes.append(
                Envelope(_post(n, case, sender, to), sender, [(to, _recipient(to, case))])
            )
        intake.store(envelopes)
        intake.process_pending(limit=len(envelopes))
        progress.advance(task, len(envelopes))


def _reply_addresses() -> dict:
    """(case id, member's address) → the reply address the member received."""
    from secdesk.outbox.models import OutgoingMessage

    found = {}
    rows = OutgoingMessage.objects.filter(kind="case-message").values_list("case_id", "reply_tos")
    for case_id, reply_tos in rows.iterator(chunk_size=2000):
        for address, reply_to in reply_tos.items():
            found[(case_id, address)] = reply_to
    return found


def _recipient(to: str, case):
    from secdesk.mail.addresses import Recipient
    from secdesk.outbox.addresses import split

    _, token, _ = split(to)
    return Recipient(case.project_id, token)


def _post(n: int, case, sender: str, to: str) -> bytes:
    domain = sender.rpartition("@")[2]
    return (
        f"Authentication-Results: {MTA}; dkim=pass header.d={domain} header.s=k1\r\n"
        f"From: {sender}\r\nTo: {to}\r\nSubject: Re: [{case.reference}] {case.title}\r\n"
        f"Message-ID: <post.{n}@{domain}>\r\n\r\n"
        f"I can reproduce this on our build ({n}). "
        f"{'The fix should check the length before the copy. ' * 4}\r\n"
    ).encode()


def _lifecycles(progress, approved, fate: dict, members) -> str:
    """Each approved case taken to its fate; the public id of one advisory."""
    from django.utils import timezone

    from secdesk.advisories.actions import do_import_cve_ids
    from secdesk.cases.actions import reports

    task = progress.add_task("cases' lives", total=len(approved))
    pools = {}
    advisory = ""
    for case in approved:
        end = fate[case.pk]
        team = members[case.project_id]
        lead, member = team[0], team[1 + case.pk % (len(team) - 1)]
        if end == "deferred":
            reports.do_defer_report(case, reason="Waits for the next major release.", acting=member)
        elif end in ("open", "published", "closed"):
            reports.do_accept_report(case, acting=member)
        if end == "closed":
            reports.do_close_report(case, reason="Fixed in the last release.", acting=member)
        elif end in ("open", "published"):
            _triage_and_embargo(case, member, lead, timezone.now())
        if end == "published":
            if case.project_id not in pools:
                pools[case.project_id] = iter(_cve_ids(case.project_id))
                do_import_cve_ids(case.project, _cve_ids(case.project_id), acting=lead)
            advisory = _publish(case, member, lead, next(pools[case.project_id]))
        progress.advance(task)
    return advisory


def _restrictions(progress, root, approved, members) -> None:
    """One case in 25 restricted to a few members (the affected vendors):
    half of them with the lead, half without (the site admin restricts
    those, staying in as their manager)."""
    from secdesk.cases.actions.restriction import do_restrict_case

    restricted = [case for case in approved if case.pk % 25 == 7]
    task = progress.add_task("restrictions", total=len(restricted))
    for n, case in enumerate(restricted):
        team = members[case.project_id]
        few = [team[1 + (case.pk + k) % (len(team) - 1)].email for k in range(2)]
        acting = team[0] if n % 2 else root
        do_restrict_case(case, emails=few, acting=acting)
        progress.advance(task)


def _cve_ids(project_id: int) -> list[str]:
    """The pool of CVE ids the project reserved."""
    return [f"CVE-2026-{project_id * 100_000 + k}" for k in range(1000)]


def _triage_and_embargo(case, member, lead, now) -> None:
    from secdesk.cases.actions import embargo, triage

    triage.do_record_triage(
        case,
        security_issue=True,
        reasoning="An unprivileged client reaches it.",
        cvss3=CVSS_HIGH,
        acting=member,
    )
    # Ends spread over the policy's two weeks: a few within the next three days.
    embargo.do_propose_embargo(
        case, end=now + timedelta(days=1 + case.pk % 12, hours=case.pk % 24), acting=member
    )
    embargo.do_accept_embargo(case, acting=lead)


def _publish(case, member, lead, cve_id: str) -> str:
    from secdesk.advisories.actions import do_assign_cve, do_edit_advisory
    from secdesk.advisories.models import Advisory
    from secdesk.advisories.publication import do_publish_case
    from secdesk.fixes.actions import do_record_fix

    do_assign_cve(case, cve_id=cve_id, acting=lead)
    do_record_fix(case, branch="main", commit=f"{case.pk:040x}", acting=member)
    do_edit_advisory(
        case,
        {
            "description": f"{case.title}: a crafted input corrupts memory.",
            "impact": "A client with a read-only connection crashes the daemon.",
            "cwe": "CWE-787",
            "credits": "Finder (Research)",
        },
        acting=member,
    )
    do_publish_case(case, acting=lead, end_embargo=True)
    return Advisory.objects.get(case=case).public_id
