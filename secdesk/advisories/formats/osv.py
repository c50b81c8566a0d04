"""OSV 1.7: per package, a GIT range over all branches, a SEMVER or ECOSYSTEM
range when the project names its ecosystem, and the affected versions listed."""

import re

from secdesk.advisories import credits, references
from secdesk.advisories.ranges import ranges_of, version_type

SCHEMA_VERSION = "1.7.5"
FULL_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def render(facts: dict, *, modified: str) -> dict:
    document = {
        "schema_version": SCHEMA_VERSION,
        # A database not registered with OSV names its entries with the x_ prefix.
        "id": f"x_{facts['id']}",
        "modified": modified,
        "aliases": facts["cves"],
        "summary": facts["title"],
        "details": "\n\n".join(p for p in (facts["description"], facts["impact"]) if p)
        or facts["title"],
        "references": [{"type": "ADVISORY", "url": facts["url"]}]
        + [{"type": references.osv_type(r), "url": r["url"]} for r in facts["references"]]
        + _fix_references(facts),
        "credits": [_credit(c) for c in facts["credits"]],
        "database_specific": {"severity": facts["severity"], "cwe_ids": _cwes(facts)},
    }
    if facts["published"]:
        document["published"] = facts["published"]
    severity = [
        {"type": kind, "score": facts[key]["vector"]}
        for key, kind in (("cvss3", "CVSS_V3"), ("cvss4", "CVSS_V4"))
        if facts[key]
    ]
    if severity:
        document["severity"] = severity
    affected = _affected(facts)
    if affected:
        document["affected"] = affected
    return document


def _cwes(facts: dict) -> list[str]:
    return [cwe["id"] for cwe in facts["cwes"]]


def _credit(credit: dict) -> dict:
    entry = {"name": credit["name"], "type": credits.osv_type(credit)}
    if credit["contact"]:
        entry["contact"] = [f"mailto:{credit['contact']}"]
    return entry


def _fix_references(facts: dict) -> list[dict]:
    refs = []
    for branch in facts["branches"]:
        url = branch["repo_url"]
        if url.startswith("https://"):
            refs += [
                {"type": "FIX", "url": f"{url.rstrip('/')}/commit/{c}"} for c in branch["commits"]
            ]
    return refs


def _affected(facts: dict) -> list[dict]:
    return [entry for package in facts["packages"] if (entry := _entry(package))]


def _entry(package: dict) -> dict | None:
    """One entry per package: a GIT range naming every introducing commit and
    every commit that carries the fix, on every branch (the spec's evaluation
    walks the commit graph, so a backport left out reads as unfixed); a range
    in the ecosystem's versions when the project names its ecosystem; and the
    affected versions listed."""
    model = ranges_of(package)
    ranges = []
    git = _git_range(package)
    if git:
        ranges.append(git)
    if package["ecosystem"] and package["package_name"]:
        ranges += _version_ranges(model, version_type(package))
    if not ranges and not model.affected:
        return None
    entry = {}
    if package["ecosystem"] and package["package_name"]:
        entry["package"] = {"ecosystem": package["ecosystem"], "name": package["package_name"]}
        if package["purl"]:
            entry["package"]["purl"] = package["purl"]
    if ranges:
        entry["ranges"] = ranges
    entry["versions"] = model.affected
    entry["database_specific"] = {
        "product": package["product"],
        "branches": [
            {"branch": b.branch, "affected": b.affected, "fixed_in": b.fixed_in}
            for b in model.branches
        ],
    }
    return entry


def _git_range(package: dict) -> dict | None:
    fixes, introduced = package["fix_commits"], package["introduced"]
    if not package["repo_url"] or not fixes:
        return None
    if not all(FULL_COMMIT.match(c) for c in fixes + introduced):
        # An abbreviated id cannot be walked to; better no range than a wrong one.
        return None
    events = [{"introduced": c} for c in introduced or ["0"]] + [{"fixed": c} for c in fixes]
    return {"type": "GIT", "repo": package["repo_url"], "events": events}


def _version_ranges(model, kind: str) -> list[dict]:
    """The affected runs in version order. A run no release follows ends with
    `last_affected`, which the spec lets no range hold beside `fixed`."""
    kind = "SEMVER" if kind == "semver" else "ECOSYSTEM"
    closed, ranges = [], []
    for run in model.runs:
        if run.next:
            closed += [{"introduced": run.first}, {"fixed": run.next}]
        else:
            last = [{"introduced": run.first}, {"last_affected": run.last}]
            ranges.append({"type": kind, "events": last})
    if closed:
        ranges.insert(0, {"type": kind, "events": closed})
    return ranges
