"""The bench's Django-side helpers, each run in a subprocess of its own on one
desk's database (`Desk.inside(name, **kwargs)`): the team and its cases are
made through the actions, as a team would make them, and what the faults
left behind is read through the models.

    python bench/faultkit/inside.py FUNCTION '{"keyword": "arguments"}'

The last line printed is the function's answer, as JSON.
"""

import json
import sys
from collections import Counter

ROOT = "root@bench.example"
ALICE = "alice@vendor-a.example"
BOB = "bob@distro-b.example"
CAROL = "carol@example.org"
FINDER = "finder@research.example"
SLUG = "bench"
SECURITY = "security@bench.example"
CVSS = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"


def _setup():
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secdesk.settings")
    import django

    django.setup()


def build() -> dict:
    """A migrated database with the bench project and its team of four."""
    from django.core.management import call_command

    from secdesk.advisories.package_identity import do_set_package_identity
    from secdesk.teams.actions import (
        do_accept_policy,
        do_add_member,
        do_create_admin,
        do_create_project,
    )
    from secdesk.teams.tokens import do_create_api_token

    call_command("migrate", interactive=False, verbosity=0)
    root = do_create_admin(ROOT)
    project = do_create_project(
        slug=SLUG,
        name="Bench",
        security_address=SECURITY,
        dev_list="devel@lists.bench.example",
        announce_list="announce@lists.bench.example",
        acting=root,
    )
    do_set_package_identity(
        project, {"repository_url": "https://git.bench.example/bench.git"}, acting=root
    )
    people = {}
    for email, role in ((ALICE, "moderator"), (BOB, "member"), (CAROL, "member")):
        membership = do_add_member(project, email=email, role=role, acting=root)
        do_accept_policy(project, acting=membership.person)
        people[email] = membership.person
    _, token = do_create_api_token(name="bench", scope="write", acting=people[BOB])
    return {"token": token}


def ready_cases(count: int, first_cve: int, embargo_days: int = 0, queue: bool = False) -> list:
    """`count` accepted cases, triaged, with a CVE id, a fix and an advisory:
    ready to publish. With `embargo_days`, under an embargo accepted by the
    team; with `queue`, their publication decided and left to the worker."""
    from secdesk.advisories.actions import do_assign_cve, do_edit_advisory
    from secdesk.advisories.publication import do_queue_publication
    from secdesk.cases.actions import embargo, reports, triage
    from secdesk.fixes.actions import do_record_fix
    from secdesk.teams.actions import person_by_email
    from secdesk.teams.models import Project

    project = Project.objects.get(slug=SLUG)
    alice, bob, carol = (person_by_email(e) for e in (ALICE, BOB, CAROL))
    made = []
    for n in range(count):
        case = reports.do_receive_report(
            project,
            reporter_email=FINDER,
            subject=f"Overflow {first_cve + n} in the parser",
            body="A crafted header overflows a heap buffer.",
            acting=None,
        )
        reports.do_validate_report(case, acting=alice)
        reports.do_accept_report(case, acting=bob)
        triage.do_record_triage(
            case, security_issue=True, cvss3=CVSS, reasoning="overflow", acting=bob
        )
        if embargo_days:
            embargo.do_propose_embargo(case, days=embargo_days, acting=bob)
            embargo.do_accept_embargo(case, acting=carol)
        cve = f"CVE-2026-{first_cve + n}"
        do_assign_cve(case, cve_id=cve, acting=bob)
        do_record_fix(case, branch="master", commit=f"{first_cve + n:07x}" * 2, acting=carol)
        do_edit_advisory(
            case,
            {
                "title": f"Heap overflow {first_cve + n} in the parser",
                "description": "A crafted header overflows a heap buffer in the parser.",
                "impact": "A client can crash the daemon.",
                "cwe": "CWE-787",
                "credits": "Finn Finder",
            },
            acting=bob,
        )
        if queue:
            do_queue_publication(case, acting=bob)
        made.append({"id": case.pk, "number": case.number, "cve": cve})
    return made


def cve_account(url: str) -> dict:
    from secdesk.advisories.models import CveServicesAccount
    from secdesk.teams.models import Project

    CveServicesAccount.objects.update_or_create(
        project=Project.objects.get(slug=SLUG),
        defaults={"url": url, "org": "bench-cna", "user": "cna@bench.example", "api_key": "k"},
    )
    return {}


def replies(case_id: int, count: int, tag: str) -> dict:
    """`count` replies by bob on a case: each a mail to the team and the reporter."""
    from secdesk.cases.models import Case
    from secdesk.mail.posts import do_post_reply
    from secdesk.teams.actions import person_by_email

    bob = person_by_email(BOB)
    case = Case.objects.get(pk=case_id)
    for n in range(count):
        do_post_reply(case, body=f"{tag} {n}: a patch for review.", acting=bob)
    return {}


def publications(case_ids: list) -> dict:
    """What the publication of each case left: its steps, its records, its mail."""
    from secdesk.advisories.models import Publication
    from secdesk.audit.models import AuditEvent, AuditRecord
    from secdesk.outbox.models import OutgoingMessage

    wanted = (
        AuditEvent.PUBLICATION_STARTED,
        AuditEvent.ANNOUNCEMENT_QUEUED,
        AuditEvent.ADVISORY_FILES_WRITTEN,
        AuditEvent.CVE_RECORD_PUBLISHED,
        AuditEvent.CASE_PUBLISHED,
    )
    found = {}
    for case_id in case_ids:
        publication = Publication.objects.filter(case_id=case_id).first()
        events = Counter(
            AuditRecord.objects.filter(case_id=case_id, event__in=wanted).values_list(
                "event", flat=True
            )
        )
        mail = OutgoingMessage.objects.filter(case_id=case_id, kind__startswith="announcement")
        found[case_id] = {
            "finished": bool(publication and publication.finished_at),
            "records": {AuditEvent(e).name: events.get(e, 0) for e in wanted},
            "announcements": mail.filter(kind="announcement").count(),
            "reporter_copies": mail.filter(kind="announcement-reporter").count(),
            "message_ids": list(mail.values_list("message_id", flat=True)),
            "files": _files_of(publication),
        }
    return found


def replies_found(case_id: int, prefix: str) -> dict:
    """Each reply whose text starts with `prefix` N:, by N: for each message
    stored, its audit records and its outbox rows."""
    from secdesk.audit.models import AuditEvent, AuditRecord
    from secdesk.cases.models import Message
    from secdesk.outbox.models import OutgoingMessage

    found = {}
    for message in Message.objects.filter(case_id=case_id, body__startswith=prefix):
        n = message.body[len(prefix) :].split(":", 1)[0].strip()
        audited = AuditRecord.objects.filter(
            event=AuditEvent.REPLY_POSTED, case_id=case_id, details__message=message.pk
        ).count()
        rows = OutgoingMessage.objects.filter(case_message=message).count()
        found.setdefault(n, []).append({"audit": audited, "outbox": rows})
    # An audit record whose message is not there: half an action.
    messages = set(Message.objects.filter(case_id=case_id).values_list("pk", flat=True))
    orphans = [
        r.details.get("message")
        for r in AuditRecord.objects.filter(event=AuditEvent.REPLY_POSTED, case_id=case_id)
        if r.details.get("message") not in messages
    ]
    return {"replies": found, "orphan_records": orphans}


def embargoes(case_ids: list) -> dict:
    """Each case's embargo state and its records of the embargo's end."""
    from secdesk.audit.models import AuditEvent, AuditRecord
    from secdesk.cases.models import Embargo

    return {
        case_id: {
            "state": Embargo.objects.get(case_id=case_id).state,
            "exit_records": AuditRecord.objects.filter(
                event=AuditEvent.EMBARGO_EXITED, case_id=case_id
            ).count(),
        }
        for case_id in case_ids
    }


def reminders(case_ids: list) -> dict:
    """Each case's reminders before its embargo's end, and their records."""
    from secdesk.advisories.models import EmbargoNotice
    from secdesk.audit.models import AuditEvent, AuditRecord

    return {
        case_id: {
            "notices": list(
                EmbargoNotice.objects.filter(case_id=case_id).values_list("kind", "hours_before")
            ),
            "records": AuditRecord.objects.filter(
                event=AuditEvent.EMBARGO_REMINDER_SENT, case_id=case_id
            ).count(),
        }
        for case_id in case_ids
    }


def _files_of(publication) -> bool:
    from secdesk.advisories.public_files import public_dir

    if publication is None or not publication.documents:
        return False
    name = publication.documents["facts"]["id"]
    return (public_dir() / f"{name}.csaf.json").exists() and (public_dir() / name).is_dir()


def serve_cve(ids: list) -> None:
    """The tests' stand-in for CVE Services on loopback, until stdin closes;
    then how many times each record was created or updated."""
    from secdesk.advisories.tests.cve_services_fake import FakeCveServices

    with FakeCveServices(org="bench-cna", user="cna@bench.example", key="k") as fake:
        for cve in ids:
            fake.reserve_directly(cve)
        print(json.dumps({"url": fake.url}), flush=True)
        sys.stdin.read()
        sent = Counter(
            (method, path.split("/")[3]) for method, path, _ in fake.requests if "/cve/" in path
        )
        print(
            json.dumps(
                {
                    "records": sorted(fake.records),
                    "created": {cve: n for (m, cve), n in sent.items() if m == "POST"},
                    "updated": {cve: n for (m, cve), n in sent.items() if m == "PUT"},
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    _setup()
    function, arguments = sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    answer = globals()[function](**arguments)
    if answer is not None:
        print(json.dumps(answer, default=str))
