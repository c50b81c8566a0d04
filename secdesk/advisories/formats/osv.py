"""OSV 1.7: GIT ranges (introduced and fixed commit per branch) and SEMVER
version ranges per branch, with the affected versions listed."""

import re

SCHEMA_VERSION = "1.7.5"
FULL_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


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
        + [{"type": "WEB", "url": url} for url in facts["references"]]
        + _fix_references(facts),
        "credits": [{"name": name, "type": "FINDER"} for name in facts["credits"]],
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
    return [facts["cwe"]["id"]] if facts["cwe"] else []


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
    """One entry per branch that has something to say: a GIT range when the
    repository and full commit ids are known, a SEMVER range when its releases
    are semantic versions."""
    entries = []
    for branch in facts["branches"]:
        if branch["not_affected"]:
            continue
        ranges = []
        fixes = [c for c in branch["commits"] if FULL_COMMIT.match(c)]
        if branch["repo_url"] and fixes:
            introduced = [c for c in branch["introduced"] if FULL_COMMIT.match(c)] or ["0"]
            events = [{"introduced": c} for c in introduced] + [{"fixed": c} for c in fixes]
            ranges.append({"type": "GIT", "repo": branch["repo_url"], "events": events})
        versions = branch["affected"] + branch["fixed_in"]
        if branch["affected"] and all(SEMVER.match(v) for v in versions):
            events = [{"introduced": branch["affected"][0]}]
            if branch["fixed_in"]:
                events.append({"fixed": branch["fixed_in"][0]})
            else:
                events.append({"last_affected": branch["affected"][-1]})
            ranges.append({"type": "SEMVER", "events": events})
        if not ranges and not branch["affected"]:
            continue
        entry = {
            "versions": branch["affected"],
            "database_specific": {"repository": branch["repository"], "branch": branch["branch"]},
        }
        if ranges:
            entry["ranges"] = ranges
        entries.append(entry)
    return entries
