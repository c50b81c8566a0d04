"""Publication, exactly once (docs/policy.md, "Announcement").

A case is published by team decision (`do_publish_case`), by the worker when its
embargo expires, or at once for a zero-day. Whichever starts it, one Publication
row is created with the case locked, and its steps run in order (steps.py):
the network and file work of a step outside any transaction, then one short
transaction that records the step as done together with its effect:

1. render: the facts and every format, checked against their schemas, stored;
2. announce: the announcement queued in the outbox for the development and
   announcement lists, and a copy for the reporter (the outbox's dedupe key
   keeps a repeated step from queueing anything twice);
3. files: the advisory's files written under DATA_DIR/public;
4. CVE record: each CVE id published through CVE Services, if the project has
   an account (a record that exists already is updated instead);
5. finish: the case, its CVE ids and its advisory marked published.

A worker that dies between steps leaves the publication to the next tick,
which resumes at the first step not done. Nothing done is done again.
"""

import logging

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from secdesk.advisories import public_files
from secdesk.advisories.facts import gather
from secdesk.advisories.models import Advisory, CveState, Publication, Trigger
from secdesk.advisories.render import render_documents
from secdesk.advisories.steps import StepRefused, nothing, run_steps
from secdesk.advisories.validation import document_problems
from secdesk.advisories.verify import no_fix_recorded, verify_case
from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.access import require_case
from secdesk.cases.actions.common import atomic, lock_case, lock_embargo, now
from secdesk.cases.actions.embargo import exit_embargo
from secdesk.cases.embargo_machine import IN_FORCE
from secdesk.cases.models import ReportState
from secdesk.errors import NotAllowed, PolicyRefused, Refused
from secdesk.fixes import mirror
from secdesk.lib.env import is_loopback
from secdesk.lib.mail_text import mail_text
from secdesk.outbox.queue import enqueue
from secdesk.teams.access import has_role
from secdesk.teams.models import Person, Role

logger = logging.getLogger("secdesk.publication")


def site_problem() -> str | None:
    """A loopback site address would go into every advisory, CVE record and
    feed entry, where no reader can follow it: refused, but in the demo or
    when forced."""
    if settings.DEMO or not is_loopback(settings.SITE_URL):
        return None
    return (
        f"the site address {settings.SITE_URL} is this machine's own, which no reader "
        "can reach: set SECDESK_SITE_URL to the public address (or force it)"
    )


def publication_problems(
    case, *, fetch: bool = False, force_site: bool = False
) -> tuple[list[str], list[str]]:
    """What stands between the case and its publication, as one-line reasons:
    those nothing overrides (but `force_site` the loopback site address), and
    the fix problems an admin may override (docs/policy.md, "Fixes on every
    maintained branch").

    With repositories configured the fixes are verified from git (`fetch` brings
    the mirrors up to date first); without, a recorded fix is all we can check.
    """
    blocking = []
    if not force_site and (problem := site_problem()):
        blocking.append(problem)
    if case.is_security_issue is not True:
        blocking.append("it has not been triaged as a security issue")
    if not case.cve_ids.exclude(state=CveState.REJECTED).exists():
        blocking.append(f"it has no CVE id (see /security/{case.project.slug}/#cve)")
    if case.project.repositories.exists():
        fixes = [str(problem) for problem in verify_case(case, fetch=fetch)]
    elif not case.fixes.exists() and not case.not_affected.exists():
        fixes = [no_fix_recorded(case)]
    else:
        fixes = []
    return blocking, fixes


def update_mirrors(case) -> None:
    # Before any transaction: the network must not hold the case's lock.
    for repository in case.project.repositories.all():
        mirror.update(repository)


def do_publish_case(
    case,
    *,
    acting: Person,
    end_embargo: bool = False,
    override_reason: str = "",
    force_site: bool = False,
):
    """Publish the case now, by team decision, and run its publication.

    Publishing while the embargo is in force must be asked for (`end_embargo`),
    and with a loopback site address (`force_site`).
    Missing fixes block publication unless an admin overrides with a reason,
    which the audit record keeps. A publication that was started and stopped
    half-way is resumed, never started again.
    """
    update_mirrors(case)
    publication = do_queue_publication(
        case,
        acting=acting,
        end_embargo=end_embargo,
        override_reason=override_reason,
        force_site=force_site,
    )
    run_publication(publication)
    case.refresh_from_db()
    return case


def do_queue_publication(
    case,
    *,
    acting: Person,
    end_embargo: bool = False,
    override_reason: str = "",
    force_site: bool = False,
) -> Publication:
    """Decide to publish the case, as `do_publish_case` does, and leave the
    steps to the worker (its next tick runs every publication not finished):
    the web's way, so that no request waits on the lists, the disk or CVE
    Services. `Publication.progress` says how far it got."""
    with atomic():
        case = lock_case(case)
        require_case(acting, case)
        started = Publication.objects.filter(case=case).first()
        if started is None:
            return _start(
                case,
                trigger=Trigger.DECISION,
                acting=acting,
                end_embargo=end_embargo,
                override_reason=override_reason,
                force_site=force_site,
            )
    if started.finished_at is not None:
        raise Refused(
            f"case {case.reference} was already published on "
            f"{started.finished_at:%Y-%m-%d %H:%M} UTC"
        )
    return started


def _start(
    case,
    *,
    trigger: str,
    acting: Person | None,
    end_embargo: bool = False,
    override_reason: str = "",
    force_site: bool = False,
) -> Publication:
    """Check the case and create its publication; the caller holds the case's lock."""
    if case.state != ReportState.ACCEPTED:
        raise Refused(
            f"publish: case {case.reference} is {case.state}; only an accepted case is published"
        )
    blocking, overridden = publication_problems(case, force_site=force_site)
    if blocking:
        raise PolicyRefused(
            f"publish: case {case.reference} cannot be published: {'; '.join(blocking)}"
        )
    if overridden and trigger != Trigger.ZERO_DAY:
        if not override_reason.strip():
            raise PolicyRefused(
                f"publish: case {case.reference} cannot be published: "
                f"{'; '.join(overridden)} (an admin may override with a reason)"
            )
        if not has_role(acting, case.project, Role.ADMIN):
            raise NotAllowed("publish: only an admin may override a missing fix")
    embargo = lock_embargo(case)
    at = now()
    if embargo.state in IN_FORCE:
        if not end_embargo:
            raise PolicyRefused(
                f"publish: the embargo of case {case.reference} is in force until "
                f"{embargo.end_at:%Y-%m-%d %H:%M} UTC; publication happens at its end, "
                "or ask to end it now by team decision"
                if embargo.end_at
                else f"publish: case {case.reference} has an embargo proposal open; decide it first"
            )
        exit_embargo(embargo, reason="decision: published", acting=acting, at=at)
    try:
        publication = Publication.objects.create(
            case=case,
            trigger=trigger,
            started_by=acting,
            started_at=at,
            override_reason=override_reason.strip(),
            overridden=overridden,
        )
    except IntegrityError:
        raise Refused(f"case {case.reference} is being published already") from None
    record(
        acting,
        AuditEvent.PUBLICATION_STARTED,
        case=case,
        trigger=trigger,
        override=override_reason.strip(),
        overridden=overridden,
    )
    return publication


def start_by_worker(case_id: int, trigger: str) -> Publication | None:
    """Start the publication of an expired embargo or a zero-day, unless it has one."""
    with atomic():
        case = lock_case(case_id)
        if Publication.objects.filter(case=case).exists():
            return None
        return _start(case, trigger=trigger, acting=None)


def run_publication(publication: Publication) -> Publication:
    """Run the steps not done yet, in order (see steps.py). A failing step
    stops the run, its one-line reason kept on the publication; the next run
    retries it."""
    try:
        return run_steps(publication, STEPS)
    except StepRefused as refused:
        logger.warning("publication of case #%s stopped at %s", publication.case_id, refused.field)
        raise Refused(
            f"publication of case #{publication.case_id} stopped: {refused.message}"
        ) from None


def _public_id(case) -> str:
    """LIBVIRT-SA-2026-0001: the project's advisories, numbered per year."""
    year = timezone.now().year
    prefix = f"{case.project.slug.upper()}-SA-{year}-"
    taken = Advisory.objects.filter(public_id__startswith=prefix).count()
    return f"{prefix}{taken + 1:04d}"


def _render(publication: Publication, _) -> None:
    case = lock_case(publication.case_id)
    advisory = Advisory.objects.filter(case=case).first() or Advisory(case=case, title=case.title)
    if not advisory.public_id:
        advisory.public_id = _public_id(case)
        advisory.save()
    at = now()
    facts = gather(case, public_id=advisory.public_id, published_at=at)
    documents = render_documents(case, facts, at=at)
    problems = document_problems(documents)
    if problems:
        raise Refused(f"the advisory does not validate: {problems[0]}")
    publication.documents = documents


def announcement_recipients(case) -> list[str]:
    return [a for a in (case.project.dev_list, case.project.announce_list) if a]


def _announce(publication: Publication, _) -> None:
    case = publication.case
    documents = publication.documents
    lists = announcement_recipients(case)
    if not lists:
        raise Refused(f"{case.project.slug} has neither a development nor an announcement list")
    enqueue(
        project=case.project,
        to=lists,
        subject=documents["subject"],
        body=documents["text"],
        kind="announcement",
        case=case,
        dedupe_key=f"announcement:{case.pk}",
    )
    if case.reporter is not None:
        # Separately: the lists must not learn the reporter's address.
        enqueue(
            project=case.project,
            to=[case.reporter.email],
            subject=documents["subject"],
            body=mail_text(
                "advisories/mail/announcement_to_reporter.txt", announcement=documents["text"]
            ),
            kind="announcement-reporter",
            case=case,
            dedupe_key=f"announcement-reporter:{case.pk}",
        )
    record(publication.started_by, AuditEvent.ANNOUNCEMENT_QUEUED, case=case, to=lists)


def _write_files(publication: Publication) -> list[str]:
    try:
        written = public_files.write(publication.case.project, publication.documents)
    except OSError as err:
        raise Refused(f"cannot write the advisory files: {err.strerror}") from None
    return [path.name for path in written]


def _files_written(publication: Publication, names: list[str]) -> None:
    record(
        publication.started_by,
        AuditEvent.ADVISORY_FILES_WRITTEN,
        case=publication.case,
        files=names,
    )


def _publish_cve_records(publication: Publication) -> list[str] | None:
    # Here, not at the top: cvelib and requests take 0.5 s to import, and every
    # page and command that imports this module would pay for it.
    from secdesk.advisories import cve_services

    account = cve_services.account_of(publication.case.project)
    if account is None:
        return None
    return cve_services.publish_records(account, publication.documents["cve"])


def _cve_published(publication: Publication, cves: list[str] | None) -> None:
    if cves is not None:
        record(
            publication.started_by,
            AuditEvent.CVE_RECORD_PUBLISHED,
            case=publication.case,
            cves=cves,
        )


def _finish(publication: Publication, _) -> None:
    # The case counts as published from here on: `Case.published_at` is this
    # publication's `finished_at`, set in the same transaction (run_publication).
    case = lock_case(publication.case_id)
    at = now()
    case.public_at = case.public_at or at
    case.fix_published_at = case.fix_published_at or at
    case.save(update_fields=["public_at", "fix_published_at"])
    case.cve_ids.exclude(state=CveState.REJECTED).update(state=CveState.PUBLISHED)
    record(
        publication.started_by,
        AuditEvent.CASE_PUBLISHED,
        case=case,
        advisory=publication.documents["facts"]["id"],
        trigger=publication.trigger,
        cves=publication.documents["facts"]["cves"],
        override=publication.override_reason,
        overridden=publication.overridden,
    )


# (the field that records the step, its work outside a transaction, its record inside one)
STEPS = [
    ("rendered_at", nothing, _render),
    ("announced_at", nothing, _announce),
    ("files_written_at", _write_files, _files_written),
    ("cve_published_at", _publish_cve_records, _cve_published),
    ("finished_at", nothing, _finish),
]
