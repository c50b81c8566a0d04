"""The starting point of bench/scale_out.py, made through secdesk's actions:
one project whose MTA's DKIM results are trusted, its team, cases the members
post into, reports for the web's moves, and cases ready to be published whose
embargoes end while the load runs."""

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from team import bench_team

# Each run its own: the web's people log in with it.
PASSWORD = secrets.token_urlsafe(24)
SECURITY = "security@bench.example"
LISTS = ["devel@lists.bench.example", "announce@lists.bench.example"]
CVSS = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"


@dataclass
class Seed:
    project: object
    members: list[str]
    # Each member's reply address into each post case: {case reference: {member: address}}.
    addresses: dict[str, dict[str, str]] = field(default_factory=dict)
    post_cases: list[str] = field(default_factory=list)
    move_cases: list[str] = field(default_factory=list)
    publish_cases: list[str] = field(default_factory=list)
    # The web's people: (email, TOTP key in hex).
    web_people: list[tuple[str, str]] = field(default_factory=list)
    # Who proposes and who accepts the embargoes.
    admins: list = field(default_factory=list)


def _team(size: int, admins: int):
    # The web's people move reports (a moderator's step): admins.
    return bench_team(size, admins, dev_list=LISTS[0], announce_list=LISTS[1])


def _accepted_case(project, admin, n: int, subject: str):
    from secdesk.cases.actions import reports

    case = reports.do_receive_report(
        project,
        reporter_email=f"finder{n}@research.example",
        subject=subject,
        body="Steps to reproduce: send the crafted packet.",
        acting=None,
    )
    case = reports.do_validate_report(case, acting=admin)
    return reports.do_accept_report(case, acting=admin)


def _ready_to_publish(case, people, n: int):
    """Triaged, with a CVE id, a fix and the advisory's text."""
    from secdesk.advisories.actions import do_assign_cve, do_edit_advisory
    from secdesk.cases.actions import triage
    from secdesk.fixes.actions import do_record_fix

    first = people[0]
    triage.do_record_triage(
        case, security_issue=True, reasoning="overflow", cvss3=CVSS, acting=first
    )
    do_assign_cve(case, cve_id=f"CVE-2026-{20000 + n}", acting=first)
    do_record_fix(case, branch="main", commit=f"{n:040x}", acting=first)
    do_edit_advisory(
        case,
        {
            "title": f"Heap overflow in parser {n}",
            "description": "A crafted packet overflows a heap buffer in the parser.",
            "impact": "A client can crash the daemon.",
            "cwe": "CWE-787",
            "credits": "Finn Finder",
        },
        acting=first,
    )


def _web_person(person) -> tuple[str, str]:
    """A password and a confirmed authenticator app, as the person would set them up."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from secdesk.accounts.factors import do_confirm_totp, do_set_password

    do_set_password(person, PASSWORD, acting=person, how="bench")
    device = TOTPDevice.objects.create(user=person.user, name="bench", confirmed=False)
    do_confirm_totp(device, acting=person)
    return person.email, device.key


def seed(args) -> Seed:
    """Everything the load needs, but the embargoes (`start_embargoes`)."""
    from django.db import transaction

    from secdesk.cases.actions import reports
    from secdesk.cases.capabilities import tokens_for
    from secdesk.outbox.addresses import reply_address
    from secdesk.outbox.models import Outgoing, OutgoingMessage

    project, people = _team(args.team, max(args.web_clients, 2))
    found = Seed(project, [p.email for p in people])
    for n in range(args.post_cases):
        case = _accepted_case(project, people[0], n, f"Crash in dispatcher {n}")
        with transaction.atomic():
            tokens = tokens_for(case, people)
        found.addresses[case.reference] = {
            p.email: reply_address(project, tokens[p.pk]) for p in people
        }
        found.post_cases.append(case.reference)
    for n in range(args.move_cases):
        case = reports.do_receive_report(
            project,
            reporter_email=f"mover{n}@research.example",
            subject=f"Use after free in module {n}",
            body="Steps to reproduce: unload the module twice.",
            acting=None,
        )
        found.move_cases.append(case.reference)
    for n in range(args.publications):
        case = _accepted_case(project, people[0], 1000 + n, f"Overflow in parser {n}")
        _ready_to_publish(case, people, n)
        found.publish_cases.append(case.reference)
    found.web_people = [_web_person(p) for p in people[: args.web_clients]]
    found.admins = people[:2]
    # The mail of the set-up (acknowledgements, reports to the team) is not the load's.
    OutgoingMessage.objects.filter(state=Outgoing.QUEUED).update(state=Outgoing.SENT)
    return found


def start_embargoes(found: Seed, first_end, apart: timedelta) -> None:
    """The embargo of each case to publish, proposed and accepted, ending at
    `first_end` and every `apart` after: the workers publish them under load."""
    from secdesk.cases.actions import embargo
    from secdesk.cases.models import Case

    proposer, accepter = found.admins
    for n, reference in enumerate(found.publish_cases):
        slug, number = reference.split("#")
        case = Case.objects.get(project__slug=slug, number=int(number))
        embargo.do_propose_embargo(case, end=first_end + n * apart, acting=proposer)
        embargo.do_accept_embargo(case, acting=accepter)
