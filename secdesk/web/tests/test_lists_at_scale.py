"""Every list, on the web and in the API, costs the same number of queries at
10 cases as at 1,000 (and a thread of 10 messages as one of 1,000, for the
team and on the reporter's page): a page
shows a page, and looks up what it shows once for the whole page.

The rows are written in bulk, straight into the tables: this counts queries,
it does not exercise the actions that write them (their own tests do).
"""

from datetime import timedelta

import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from secdesk.advisories.models import Advisory, CveId, Publication
from secdesk.audit.log import record_each
from secdesk.audit.models import AuditEvent
from secdesk.cases.capabilities import reporter_link_token
from secdesk.cases.models import Case, Embargo, EmbargoState, Message, ReportState
from secdesk.mail.models import Inbound, InboundMessage
from secdesk.teams.models import Person
from secdesk.teams.tokens import do_create_api_token
from secdesk.web.tests.conftest import NOW

# Each tenth case is of each kind, so that 10 cases hold one of every kind.
KINDS = (
    "received",
    "held",
    "accepted, embargo ending",
    "accepted, security issue",
    "valid",
    "closed",
    "published",
    "deferred",
    "held post",
    "invalid",
)
FACTS = {
    "id": "",
    "title": "Overflow",
    "published": "2026-03-01T10:00:00Z",
    "updated": "2026-03-01T10:00:00Z",
    "url": "https://security.example/advisories/x/",
    "project": {"name": "libvirt"},
    "cves": [],
    "severity": "high",
    "revisions": [{"number": 1, "date": "2026-03-01T10:00:00Z", "summary": "first"}],
}


def _grow(project, alice, busy, to: int) -> None:
    """More cases of every kind, up to `to`; the busy case's thread and
    history grow with them."""
    start = Case.objects.filter(project=project).exclude(pk=busy.pk).count()
    reporters = Person.objects.bulk_create(
        Person(email=f"finder{n}@research.example") for n in range(start, to)
    )
    cases = Case.objects.bulk_create(
        Case(
            project=project,
            number=n + 1,
            title=f"Report {n}",
            reporter=reporter,
            state=_state(KINDS[n % 10]),
            is_security_issue=KINDS[n % 10] == "accepted, security issue" or None,
            received_at=NOW - timedelta(hours=n),
        )
        for n, reporter in zip(range(start, to), reporters, strict=True)
    )
    Embargo.objects.bulk_create(
        Embargo(case=case, **_embargo(KINDS[(case.number - 1) % 10])) for case in cases
    )
    _held_mail(project, [c for c in cases if KINDS[(c.number - 1) % 10] in ("held", "held post")])
    _publications(alice, [c for c in cases if KINDS[(c.number - 1) % 10] == "published"])
    grown = to - start
    Message.objects.bulk_create(
        Message(case=busy, author=alice, body=f"message {n}", created_at=NOW) for n in range(grown)
    )
    with transaction.atomic():
        record_each(
            alice,
            AuditEvent.REPLY_POSTED,
            [
                {"case": busy if n % 2 else cases[n], "recipients": ["bob@example.org"]}
                for n in range(grown)
            ],
        )


def _state(kind: str) -> str:
    return {
        "received": ReportState.RECEIVED,
        "held": ReportState.HELD,
        "valid": ReportState.VALID,
        "closed": ReportState.CLOSED,
        "deferred": ReportState.DEFERRED,
        "invalid": ReportState.INVALID,
    }.get(kind, ReportState.ACCEPTED)


def _embargo(kind: str) -> dict:
    if kind == "accepted, embargo ending":
        return {"state": EmbargoState.ACTIVE, "end_at": NOW + timedelta(hours=30)}
    if kind == "accepted, security issue":
        return {"state": EmbargoState.ACTIVE, "end_at": NOW + timedelta(days=9)}
    return {"state": EmbargoState.NONE}


def _held_mail(project, cases) -> None:
    """A held report for each held case, a held post into the others, and as
    much in quarantine; a post's reasons suggest the case it answers."""
    rows = []
    for case in cases:
        report = case.state == ReportState.HELD
        reasons = [{"rule": "thread", "reason": "answers a case", "suggested_case": case.pk}]
        for state in (Inbound.HELD, Inbound.QUARANTINED):
            rows.append(
                InboundMessage(
                    project=project,
                    raw=b"Subject: held\r\n\r\nA report.\r\n",
                    size=30,
                    received_at=NOW,
                    state=state,
                    case=case if report or state == Inbound.HELD else None,
                    opened_case=report and state == Inbound.HELD,
                    sender=case.reporter.email,
                    subject=case.title,
                    reasons=[] if report else reasons,
                )
            )
    InboundMessage.objects.bulk_create(rows)
    Message.objects.bulk_create(
        Message(case=case, author=case.reporter, body="A report.", created_at=NOW)
        for case in cases
        if case.state == ReportState.HELD
    )


def _publications(alice, cases) -> None:
    CveId.objects.bulk_create(
        CveId(project=c.project, cve_id=f"CVE-2026-{10000 + c.number}", case=c, state="published")
        for c in cases
    )
    Advisory.objects.bulk_create(
        Advisory(case=c, title=c.title, public_id=f"LIBVIRT-SA-2026-{c.number:04}") for c in cases
    )
    Publication.objects.bulk_create(
        Publication(
            case=c,
            trigger="decision",
            started_by=alice,
            started_at=NOW,
            documents={"facts": {**FACTS, "id": f"LIBVIRT-SA-2026-{c.number:04}"}},
            rendered_at=NOW,
            finished_at=NOW,
        )
        for c in cases
    )


def _pages(busy) -> list[str]:
    return [
        "/",
        "/?q=CVE-2026-10007",
        "/?q=report&state=all&project=libvirt&ending=30&page=2",
        f"/cases/libvirt/{busy.number}/",
        "/moderation/?held=2&quarantine=2",
        "/audit/",
        "/projects/libvirt/team/",
        "/calendar/",
        "/advisories/?page=2",
        "/advisories/feed.atom",
        "/advisories/LIBVIRT-SA-2026-0007/",
        "/api/v1/cases",
        "/api/v1/cases?q=report&state=accepted",
        "/api/v1/moderation",
        "/api/v1/projects/libvirt/members",
    ]


def _queries(client, paths, token, *, warm=False) -> dict[str, int]:
    counts = {}
    for path in paths:
        if warm:  # the lookups a process makes once
            client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200, (path, response.status_code)
        counts[path] = len(queries.captured_queries)
    return counts


def test_every_list_costs_the_same_queries_at_10_and_at_1000_cases(login_as, alice, libvirt):
    with time_machine.travel(NOW, tick=False):
        busy = Case.objects.create(
            project=libvirt,
            number=100_000,
            title="Busy",
            state="accepted",
            received_at=NOW,
            reporter=Person.objects.create(email="busy@research.example"),
        )
        Embargo.objects.create(case=busy, state=EmbargoState.ACTIVE, end_at=NOW + timedelta(9))
        with transaction.atomic():
            link = reporter_link_token(busy)
        _, token = do_create_api_token(name="lists", acting=alice)
        client = login_as(alice)
        _grow(libvirt, alice, busy, to=10)
        at_10 = _queries(client, [*_pages(busy), f"/r/{link}/"], token, warm=True)
        _grow(libvirt, alice, busy, to=1000)
        at_1000 = _queries(client, [*_pages(busy), f"/r/{link}/"], token)

    assert Case.objects.count() == 1001 and busy.messages.count() == 1000
    grew = {path: (at_10[path], at_1000[path]) for path in at_10 if at_10[path] != at_1000[path]}
    assert not grew, f"queries at 10 and at 1,000 cases: {grew}"
