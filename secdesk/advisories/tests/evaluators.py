"""Each format read as its own specification tells a consumer to read it, so
the tests can ask a document which releases it calls affected without
trusting secdesk's idea of what it meant.

- CVE JSON 5.1: the version-status algorithm in the schema's description of
  `versions` — the first entry that matches decides, `changes` refine a
  range, `defaultStatus` answers for the rest.
- OSV 1.7: SEMVER and ECOSYSTEM ranges by walking the events in version
  order; GIT ranges on the commit graph — a commit is affected when an
  introduced commit is its ancestor and no fixed commit is (asked of git with
  `merge-base --is-ancestor`); and the `versions` list.
- CSAF 2.0: the product status lists, by the product the tree names for
  each version.
"""

import re
import subprocess
from functools import cmp_to_key

from secdesk.fixes.releases import version_key

SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def semver_key(version: str) -> tuple:
    """SemVer 2.0 precedence: the three numbers, then a pre-release below the
    release, its identifiers numeric below alphanumeric."""
    major, minor, patch, pre = SEMVER.match(version).groups()
    if pre is None:
        return (int(major), int(minor), int(patch), 1, ())
    ids = tuple((0, int(i), "") if i.isdigit() else (1, 0, i) for i in pre.split("."))
    return (int(major), int(minor), int(patch), 0, ids)


def order_of(version_type: str):
    """The ordering a version type names: semver's own, or the project's
    declared one (numbers compared as numbers, see releases.py)."""
    return {"semver": semver_key, "custom": version_key}[version_type]


def cve_status(product: dict, version: str) -> str:
    for entry in product.get("versions", []):
        if "lessThan" not in entry and "lessThanOrEqual" not in entry:
            if entry["version"] == version:
                return entry["status"]
            continue
        key = order_of(entry["versionType"])
        start = entry["version"]
        low = start == "0" or key(start) <= key(version)
        if "lessThan" in entry:
            high = key(version) < key(entry["lessThan"])
        else:
            high = key(version) <= key(entry["lessThanOrEqual"])
        if low and high:
            status = entry["status"]
            # Clients re-sort the changes themselves.
            for change in sorted(entry.get("changes", []), key=lambda c: key(c["at"])):
                if key(change["at"]) <= key(version):
                    status = change["status"]
            return status
    return product.get("defaultStatus", "unknown")


def cve_affected(product: dict, releases) -> set[str]:
    return {v for v in releases if cve_status(product, v) == "affected"}


def _event_order(key):
    def compare(a, b):
        va, vb = next(iter(a.values())), next(iter(b.values()))
        if va == vb:
            return 0
        if va == "0":
            return -1
        if vb == "0":
            return 1
        return -1 if key(va) < key(vb) else 1

    return cmp_to_key(compare)


def osv_in_range(events: list[dict], version: str, key) -> bool:
    affected = False
    for event in sorted(events, key=_event_order(key)):
        start = event.get("introduced")
        if start is not None and (start == "0" or key(version) >= key(start)):
            affected = True
        elif _closes(event, version, key):
            affected = False
    return affected


def _closes(event: dict, version: str, key) -> bool:
    if "fixed" in event:
        return key(version) >= key(event["fixed"])
    return "last_affected" in event and key(version) > key(event["last_affected"])


def osv_version_affected(entry: dict, releases, key) -> set[str]:
    """By the SEMVER and ECOSYSTEM ranges of one entry."""
    ranges = [r for r in entry.get("ranges", []) if r["type"] in ("SEMVER", "ECOSYSTEM")]
    return {v for v in releases if any(osv_in_range(r["events"], v, key) for r in ranges)}


def is_ancestor(repo, ancestor: str, commit: str) -> bool:
    done = subprocess.run(["git", "merge-base", "--is-ancestor", ancestor, commit], cwd=repo)
    assert done.returncode in (0, 1), f"git cannot compare {ancestor} and {commit}"
    return done.returncode == 0


def osv_git_affected(entry: dict, repo, commit_of: dict[str, str]) -> set[str]:
    """By the GIT ranges of one entry, on the real repository; `commit_of`
    gives each release's tagged commit."""
    ranges = [r for r in entry.get("ranges", []) if r["type"] == "GIT"]
    affected = set()
    for version, commit in commit_of.items():
        for git_range in ranges:
            introduced = [e["introduced"] for e in git_range["events"] if "introduced" in e]
            fixed = [e["fixed"] for e in git_range["events"] if "fixed" in e]
            reached = any(i == "0" or is_ancestor(repo, i, commit) for i in introduced)
            if reached and not any(is_ancestor(repo, f, commit) for f in fixed):
                affected.add(version)
    return affected


def csaf_statuses(document: dict) -> dict[str, str]:
    """version → the product status the document gives its product."""
    version_of = {}

    def walk(branches):
        for branch in branches:
            if branch["category"] == "product_version":
                version_of[branch["product"]["product_id"]] = branch["name"]
            walk(branch.get("branches", []))

    walk(document["product_tree"]["branches"])
    statuses = {}
    for vulnerability in document["vulnerabilities"]:
        for status, ids in vulnerability["product_status"].items():
            # A product that is no version (the project as a whole, when its
            # releases are not known) names no release.
            for pid in filter(version_of.__contains__, ids):
                version = version_of[pid]
                assert statuses.get(version, status) == status, f"{version} is in two statuses"
                statuses[version] = status
    return statuses


def csaf_affected(document: dict) -> set[str]:
    return {v for v, s in csaf_statuses(document).items() if s == "known_affected"}
