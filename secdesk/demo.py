"""`secdesk serve --demo`: a sample project whose cases stand in different states.

Everything is made through the action functions, so the demo's audit trail and
embargo history are what real use would leave.
"""

from django.contrib.auth import get_user_model

from secdesk.advisories.actions import do_assign_cve, do_edit_advisory, do_publish_case
from secdesk.advisories.package_identity import do_set_package_identity
from secdesk.cases.actions import embargo, reports, triage
from secdesk.fixes.actions import do_record_fix
from secdesk.teams.actions import (
    do_accept_policy,
    do_add_member,
    do_create_project,
    person_by_email,
)
from secdesk.teams.models import Project
from secdesk.web import report_form

SLUG = "example"
CVSS_HIGH = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"
CVSS_MEDIUM = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H"
CVSS_LOW = "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N"

TEAM = [
    ("alice@vendor-a.example", "Alice Archer", "Vendor A Product Security", "moderator"),
    ("bob@distro-b.example", "Bob Byrne", "Distro B Security Team", "member"),
    ("carol@example.org", "Carol Chen", "Example core developers", "member"),
]


def load_demo() -> Project | None:
    """Create the demo project once; later starts leave it as the team left it."""
    if Project.objects.filter(slug=SLUG).exists():
        return None
    admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first().person
    project = do_create_project(
        slug=SLUG,
        name="Example Project",
        security_address="security@example.org",
        dev_list="devel@lists.example.org",
        announce_list="announce@lists.example.org",
        acting=admin,
    )
    # No mirror to read in the demo: the advisories' GIT ranges name the fix
    # commits in the project's public repository.
    do_set_package_identity(
        project, {"repository_url": "https://git.example.org/example.git"}, acting=admin
    )
    for email, name, org, role in TEAM:
        membership = do_add_member(
            project, email=email, name=name, role=role, organisation=org, acting=admin
        )
        do_accept_policy(project, acting=membership.person)
    alice, bob, carol = (person_by_email(email) for email, *_ in TEAM)

    def report(sender, subject, body, **kwargs):
        return reports.do_receive_report(
            project, reporter_email=sender, subject=subject, body=body, acting=None, **kwargs
        )

    # Waiting for a moderator: mailed in like any outsider's report, so it is held
    # and acknowledged by the same rules, and sits in the moderation queue.
    report_form.submit(
        project,
        {
            "name": "Fran Finder",
            "email": "finder@research.example",
            "subject": "Heap overflow parsing crafted disk image header",
            "body": "A qcow2 header with l1_size > 2^28 overflows a heap buffer; "
            "reproducer attached.",
        },
        "127.0.0.1",
    )

    # Valid, triaged, embargo proposed and not yet accepted.
    case = report(
        "dev@cloud.example",
        "Read-only client can crash the daemon via event callback",
        "Registering a callback with a NULL opaque pointer and disconnecting crashes it.",
    )
    reports.do_validate_report(case, acting=alice)
    reports.do_accept_report(case, acting=carol)
    triage.do_record_triage(
        case,
        security_issue=True,
        cvss3=CVSS_MEDIUM,
        acting=carol,
        reasoning="A read-only connection denies service to read-write ones.",
    )
    embargo.do_propose_embargo(case, days=14, acting=carol)

    # Embargo in force with a CVE and a first fix.
    case = report(
        "anna@uni.example",
        "ACL check skipped for domain migration API",
        "virDomainMigratePerform3 does not check the migrate ACL.",
    )
    reports.do_validate_report(case, acting=alice)
    reports.do_accept_report(case, acting=bob)
    triage.do_record_triage(
        case,
        security_issue=True,
        cvss3=CVSS_HIGH,
        acting=bob,
        reasoning="Crosses the ACL boundary of another client.",
    )
    embargo.do_propose_embargo(case, days=10, acting=bob)
    embargo.do_accept_embargo(case, acting=alice)
    do_assign_cve(case, cve_id="CVE-2026-41001", acting=alice)
    do_record_fix(
        case, branch="master", commit="4f1c2a9e0b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e", acting=carol
    )

    # Embargo in force, an extension waiting for the team's agreement.
    case = report(
        "sec@hoster.example",
        "Path traversal in storage pool upload",
        "A volume name with ../ escapes the pool directory.",
    )
    reports.do_validate_report(case, acting=alice)
    reports.do_accept_report(case, acting=carol)
    triage.do_record_triage(
        case,
        security_issue=True,
        cvss3=CVSS_HIGH,
        acting=carol,
        reasoning="A read-write client without pool ACLs writes outside it.",
    )
    embargo.do_propose_embargo(case, days=12, acting=carol)
    embargo.do_accept_embargo(case, acting=bob)
    embargo.do_propose_embargo(
        case,
        days=24,
        acting=carol,
        justification="The fix needs a storage API change; two vendors need a release cycle.",
    )

    # Published after its embargo, by team decision.
    case = report(
        "lee@audit.example",
        "Information leak of host paths in error messages",
        "Error messages include absolute host paths for unprivileged clients.",
    )
    reports.do_validate_report(case, acting=alice)
    reports.do_accept_report(case, acting=bob)
    triage.do_record_triage(
        case,
        security_issue=True,
        cvss3=CVSS_LOW,
        acting=bob,
        reasoning="Read-only clients learn host layout; low impact.",
    )
    embargo.do_propose_embargo(case, days=7, acting=bob)
    embargo.do_accept_embargo(case, acting=carol)
    do_assign_cve(case, cve_id="CVE-2026-41002", acting=bob)
    do_record_fix(
        case, branch="master", commit="9a8b7c6d5e4f30211f2e3d4c5b6a79881a2b3c4d", acting=carol
    )
    do_edit_advisory(
        case,
        {
            "title": "Host paths disclosed in error messages",
            "description": "Error messages sent to unprivileged clients include absolute "
            "paths of files on the host.",
            "impact": "A read-only client learns the host's directory layout.",
            "cwe": "CWE-209",
            "credits": "Lee Auditor (Audit Example)",
            "references": "https://bugs.example.org/show_bug.cgi?id=4102",
        },
        acting=bob,
    )
    do_publish_case(case, acting=bob, end_embargo=True)

    # A zero-day: public when reported, no embargo, announced at once.
    case = report(
        "oss@list.example",
        "Public: use-after-free in event loop teardown",
        "Posted on a public list yesterday with a proof of concept.",
        public=True,
        reporter_name="Sam Poster",
    )
    reports.do_validate_report(case, acting=alice)
    reports.do_accept_report(case, acting=alice)
    triage.do_record_triage(
        case,
        security_issue=True,
        cvss3=CVSS_MEDIUM,
        acting=alice,
        reasoning="Already public; any client can trigger it.",
    )
    do_assign_cve(case, cve_id="CVE-2026-41003", acting=alice)
    do_record_fix(
        case, branch="master", commit="1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e", acting=carol
    )
    # Credited by name, as they posted it under their name.
    do_edit_advisory(case, {"credits": "Sam Poster"}, acting=alice)
    do_publish_case(case, acting=alice)

    # Not a security issue.
    case = report(
        "user@mail.example",
        "Daemon crashes when admin sends malformed XML",
        "With a read-write connection, malformed domain XML crashes the daemon.",
    )
    reports.do_validate_report(case, acting=alice)
    reports.do_accept_report(case, acting=bob)
    triage.do_record_triage(
        case,
        security_issue=False,
        acting=bob,
        reasoning="Only a fully privileged client can trigger it.",
    )
    reports.do_close_report(
        case, reason="Not a security issue; moved to the public tracker.", acting=bob
    )
    return project
