"""The embargo leak guard: no commit bound for a public branch may give away a
case that is still under embargo.

A commit leaks when its message mentions a CVE id assigned to an embargoed case
or one of the case's private tokens (a reply address, the reporter's link), or
when it carries the same patch as a fix recorded for an embargoed case. What it
says is written for the person pushing, who may be no member: it names the
commit and what it mentions, never the case.

A fix whose commit is in neither the repository checked nor secdesk's mirror
cannot be compared with anything. The guard says so, and the check fails: a
guard that passes what it could not look at would let exactly the embargoed
patch through (see docs/git.md, "When a fix cannot be checked").
"""

import re
from collections import defaultdict
from dataclasses import dataclass

from secdesk.advisories.models import CveId, CveState
from secdesk.cases.models import Capability, EmbargoState
from secdesk.fixes import mirror
from secdesk.fixes.backports import same_patches
from secdesk.fixes.git import Git
from secdesk.fixes.models import Fix

# A proposed embargo already binds the team: the issue is not public yet.
EMBARGOED = (EmbargoState.PROPOSED, EmbargoState.ACTIVE, EmbargoState.REVISE)

CVE_MENTION = re.compile(r"\bCVE-\d{4}-\d{4,19}\b", re.IGNORECASE)


@dataclass(frozen=True)
class Leak:
    commit: str
    subject: str
    mentions: str

    def __str__(self):
        return f"{self.commit[:12]} {self.subject!r}: {self.mentions}"

    def as_json(self) -> dict:
        return {"commit": self.commit, "subject": self.subject, "mentions": self.mentions}


@dataclass(frozen=True)
class Unchecked:
    """An embargoed fix whose patch could not be compared with the range."""

    commit: str
    repository: str

    def __str__(self):
        where = f"secdesk's mirror of {self.repository}" if self.repository else "any mirror"
        return (
            f"cannot check for the patch of embargoed fix {self.commit[:12]}: it is in "
            f"neither this repository nor {where} (fetch the mirror, or record its repository)"
        )

    def as_json(self) -> dict:
        return {"commit": self.commit, "repository": self.repository}


@dataclass
class LeakCheck:
    leaks: list[Leak]
    unchecked: list[Unchecked]


def find_leaks(git: Git, revs: list[str]) -> LeakCheck:
    """The leaks among the commits `revs` (git rev-list arguments) selects, and
    the embargoed fixes whose patch could not be looked for."""
    cve_ids = set(
        CveId.objects.filter(case__embargo__state__in=EMBARGOED)
        .exclude(state=CveState.REJECTED)
        .values_list("cve_id", flat=True)
    )
    tokens = set(
        Capability.objects.filter(case__embargo__state__in=EMBARGOED).values_list(
            "token", flat=True
        )
    )
    leaks = []
    messages = git.run("rev-list", "--no-commit-header", "--format=%x00%H%n%B", *revs)
    subjects = {}
    for record in messages.split("\0")[1:]:
        commit, _, body = record.partition("\n")
        subjects[commit] = body.partition("\n")[0]
        for cve_id in sorted({m.upper() for m in CVE_MENTION.findall(body)} & cve_ids):
            leaks.append(Leak(commit, subjects[commit], f"{cve_id}, which is under embargo"))
        if any(token in body.lower() for token in tokens):
            leaks.append(Leak(commit, subjects[commit], "the private token of an embargoed case"))
    places, unchecked = _fix_commits_by_place(git)
    carrying = set()
    for place, fixes in places.items():
        carrying |= set(same_patches(git, fixes, set(subjects), fixes_in=place))
    for commit in sorted(carrying):
        leaks.append(Leak(commit, subjects.get(commit, ""), "the patch of an embargoed fix"))
    return LeakCheck(leaks, unchecked)


def _fix_commits_by_place(git: Git) -> tuple[dict[Git, set[str]], list[Unchecked]]:
    """Each embargoed fix, in the repository checked or else in secdesk's
    mirror of the repository it was recorded in (a pre-receive hook on a
    public repository does not hold the embargoed fix, the private mirror
    does); and the fixes found in neither."""
    fixes = Fix.objects.filter(case__embargo__state__in=EMBARGOED).select_related(
        "repository__project"
    )
    found = git.resolve(sorted({fix.commit for fix in fixes}))
    places: dict[Git, set[str]] = defaultdict(set)
    unchecked: dict[str, Unchecked] = {}
    mirrors = {}
    for fix in fixes:
        if found[fix.commit]:
            places[git].add(found[fix.commit])
            continue
        full = None
        if fix.repository and mirror.path_of(fix.repository).is_dir():
            if fix.repository.pk not in mirrors:
                mirrors[fix.repository.pk] = Git(mirror.path_of(fix.repository))
            place = mirrors[fix.repository.pk]
            if full := place.resolve([fix.commit])[fix.commit]:
                places[place].add(full)
        if not full:
            name = str(fix.repository) if fix.repository else ""
            unchecked.setdefault(fix.commit, Unchecked(fix.commit, name))
    return places, sorted(unchecked.values(), key=lambda u: u.commit)
