"""Revisions of a published advisory.

A fixed release shipped, a range was wrong, a reference or a credit was
missing: a member who may publish amends the advisory, with a reason
(`do_amend_advisory`). The facts are gathered again and every format rendered
with the history of revisions (the publication is revision 1), checked
against their schemas, and stored as revision N+1. Its steps then run in
order; each does its work outside any transaction (files, the network) and
then records itself as done in a short one:

1. announce: one short revision mail to the announcement list, and to the
   development list if the announcement went there (the outbox's dedupe key
   keeps a repeated step from queueing it twice);
2. files: the advisory's files under DATA_DIR/public rewritten;
3. CVE record: each CVE record updated through CVE Services, if the project
   has an account;
4. finish: the revision becomes what the site serves.

A worker that dies anywhere leaves the revision to the next tick
(`resume_revisions`), which starts at the first step not done.
"""

import logging
from datetime import datetime, timedelta

from secdesk.advisories import cve_services, public_files
from secdesk.advisories.facts import gather
from secdesk.advisories.formats import text
from secdesk.advisories.models import Publication, Revision
from secdesk.advisories.publication import update_mirrors
from secdesk.advisories.render import render_documents
from secdesk.advisories.steps import StepRefused, nothing, run_steps
from secdesk.advisories.validation import document_problems
from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.access import require_case
from secdesk.cases.actions.common import atomic, lock_case, now
from secdesk.errors import BadInput, Refused
from secdesk.lib.claims import exclusive
from secdesk.lib.dates import stamp
from secdesk.outbox.models import OutgoingMessage
from secdesk.outbox.queue import enqueue
from secdesk.teams.models import Person

logger = logging.getLogger("secdesk.revisions")


def do_amend_advisory(case, *, reason: str, acting: Person) -> Revision:
    """Amend the published advisory of `case`, saying why, and send the revision
    out. Who may publish may amend."""
    reason = " ".join(reason.split())
    if not reason:
        raise BadInput("amend: say why the advisory is amended (--reason)")
    require_case(acting, case)
    publication = _published(case)
    last = _last_number(publication)
    # Before any transaction: the mirrors are fetched, git is read and the
    # documents rendered while nothing is locked.
    update_mirrors(case)
    at = _revision_time()
    history = _history(publication, upto=last)
    history.append({"number": last + 1, "date": stamp(at), "summary": reason})
    documents = _render(publication, history, at)
    with atomic():
        case = lock_case(case)
        require_case(acting, case)
        publication = _published(case)
        if _last_number(publication) != last:
            raise Refused(
                f"amend: case {case.reference}'s advisory was amended meanwhile; try again"
            )
        revision = Revision.objects.create(
            publication=publication,
            number=last + 1,
            reason=reason,
            amended_by=acting,
            amended_at=at,
            documents=documents,
        )
        record(
            acting,
            AuditEvent.ADVISORY_AMENDED,
            case=case,
            advisory=documents["facts"]["id"],
            revision=revision.number,
            reason=reason,
        )
    return run_revision(revision)


def _published(case) -> Publication:
    publication = Publication.objects.filter(case=case, finished_at__isnull=False).first()
    if publication is None:
        raise Refused(f"amend: case {case.reference} is not published; publish it first")
    unfinished = publication.revisions.filter(finished_at__isnull=True).first()
    if unfinished is not None:
        raise Refused(
            f"amend: revision {unfinished.number} of case {case.reference} is still going out "
            f"({unfinished.last_error or 'the worker finishes it'})"
        )
    return publication


def _last_number(publication: Publication) -> int:
    last = publication.revisions.order_by("-number").first()
    return last.number if last else 1


def _revision_time() -> datetime:
    # Whole seconds, rounded up: every format shows the same instant, at a
    # precision all of them hold, and never before the publication.
    at = now()
    return at.replace(microsecond=0) + timedelta(seconds=1) if at.microsecond else at


def _history(publication: Publication, *, upto: int) -> list[dict]:
    """Revision 1 as the publication stored it, then each amendment."""
    first = publication.documents["facts"]
    # Documents stored before revisions existed have no history: theirs begins here.
    history = first.get("revisions") or [
        {"number": 1, "date": first["published"], "summary": "Initial version."}
    ]
    history = history[:1]
    for revision in publication.revisions.filter(number__lte=upto).order_by("number"):
        date = stamp(revision.amended_at)
        history.append({"number": revision.number, "date": date, "summary": revision.reason})
    return history


def _render(publication: Publication, history: list[dict], at: datetime) -> dict:
    first = publication.documents["facts"]
    facts = gather(
        publication.case,
        public_id=first["id"],
        published_at=datetime.fromisoformat(first["published"]),
    )
    facts["revisions"], facts["updated"] = history, history[-1]["date"]
    documents = render_documents(publication.case, facts, at=at)
    problems = document_problems(documents)
    if problems:
        raise Refused(f"amend: the revised advisory does not validate: {problems[0]}")
    return documents


def run_revision(revision: Revision) -> Revision:
    """Run the steps not done yet, in order (see steps.py). A failing step
    stops the run, its one-line reason kept on the revision; the next run
    retries it."""
    try:
        return run_steps(revision, STEPS)
    except StepRefused as refused:
        case_id = revision.publication.case_id
        logger.warning("revision of case #%s stopped at %s", case_id, refused.field)
        raise Refused(
            f"revision {revision.number} of case #{case_id} stopped: {refused.message}"
        ) from None


def resume_revisions() -> list[int]:
    """The worker's part: finish the revisions that stopped half-way."""
    done = []
    for revision in Revision.objects.filter(finished_at__isnull=True).order_by("pk"):
        # One worker at a time, as for a publication (embargo_end.py).
        with exclusive("revision", revision.pk) as mine:
            if not mine:
                continue
            try:
                run_revision(revision)
            except Refused as refused:
                logger.warning("%s", refused.message.split(":")[0])
                continue
        done.append(revision.publication.case_id)
    return done


def revision_recipients(case) -> list[str]:
    """The announcement list, and the development list if it had the announcement."""
    project = case.project
    first = OutgoingMessage.objects.filter(case=case, kind="announcement").first()
    lists = []
    if project.dev_list and (first is None or project.dev_list in first.to):
        lists.append(project.dev_list)
    if project.announce_list:
        lists.append(project.announce_list)
    return lists


def _announce(revision: Revision, _) -> None:
    case = revision.publication.case
    facts = revision.documents["facts"]
    lists = revision_recipients(case)
    if not lists:
        raise Refused(f"{case.project.slug} has neither a development nor an announcement list")
    enqueue(
        project=case.project,
        to=lists,
        subject=text.revision_subject(facts),
        body=text.revision_mail(facts),
        kind="advisory-revision",
        case=case,
        dedupe_key=f"advisory-revision:{case.pk}:{revision.number}",
    )
    record(
        revision.amended_by,
        AuditEvent.ANNOUNCEMENT_QUEUED,
        case=case,
        to=lists,
        revision=revision.number,
    )


def _write_files(revision: Revision) -> list[str]:
    try:
        written = public_files.write(revision.publication.case.project, revision.documents)
    except OSError as err:
        raise Refused(f"cannot write the advisory files: {err.strerror}") from None
    return [path.name for path in written]


def _files_written(revision: Revision, names: list[str]) -> None:
    record(
        revision.amended_by,
        AuditEvent.ADVISORY_FILES_WRITTEN,
        case=revision.publication.case,
        files=names,
        revision=revision.number,
    )


def _update_cve_records(revision: Revision) -> list[str]:
    account = cve_services.account_of(revision.publication.case.project)
    if account is None:
        return []
    return cve_services.update_records(account, revision.documents["cve"])


def _cve_updated(revision: Revision, cves: list[str]) -> None:
    if cves:
        record(
            revision.amended_by,
            AuditEvent.CVE_RECORD_PUBLISHED,
            case=revision.publication.case,
            cves=cves,
            revision=revision.number,
        )


def _finish(revision: Revision, _) -> None:
    logger.info("revision %s of case #%s is out", revision.number, revision.publication.case_id)


# (the field that records the step, its work outside a transaction, its record inside one)
STEPS = [
    ("announced_at", nothing, _announce),
    ("files_written_at", _write_files, _files_written),
    ("cve_updated_at", _update_cve_records, _cve_updated),
    ("finished_at", nothing, _finish),
]
