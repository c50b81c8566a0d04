"""The CVE JSON 5.1 CNA container of each CVE id (what CVE Services accepts in
POST /cve/{id}/cna; validated against the cnaPublishedContainer schema)."""

import uuid

from django.conf import settings

VERSION_TYPE = "custom"


def provider_org_id(project, account=None) -> str:
    """The CNA's org UUID when the project has a CVE Services account that told us;
    otherwise a stable UUID naming this secdesk's project. CVE Services replaces
    providerMetadata with the submitting CNA's own when a record is published."""
    if account is not None and account.org_uuid:
        return account.org_uuid
    name = uuid.uuid5(uuid.NAMESPACE_URL, f"{settings.SITE_URL}/security/{project.slug}/")
    # The schema accepts only version-4 UUIDs: keep the stable bits, mark them so.
    return str(uuid.UUID(bytes=name.bytes, version=4))


def render(facts: dict, *, org_id: str) -> dict:
    """One container; the same for every CVE id of the advisory."""
    container = {
        "providerMetadata": {"orgId": org_id},
        "title": facts["title"][:256],
        "descriptions": [{"lang": "en", "value": _description(facts)}],
        "affected": _affected(facts),
        "references": [{"url": facts["url"], "tags": ["vendor-advisory"]}]
        + [{"url": url} for url in facts["references"]],
    }
    if facts["published"]:
        container["datePublic"] = facts["published"]
    if facts["cwe"]:
        description = f"{facts['cwe']['id']} {facts['cwe']['name'] or ''}".strip()
        container["problemTypes"] = [
            {
                "descriptions": [
                    {
                        "lang": "en",
                        "type": "CWE",
                        "cweId": facts["cwe"]["id"],
                        "description": description,
                    }
                ]
            }
        ]
    metrics = []
    if facts["cvss3"]:
        metrics.append({"cvssV3_1": _cvss(facts["cvss3"], "3.1")})
    if facts["cvss4"]:
        metrics.append({"cvssV4_0": _cvss(facts["cvss4"], "4.0")})
    if metrics:
        container["metrics"] = metrics
    if facts["credits"]:
        container["credits"] = [
            {"lang": "en", "value": c, "type": "finder"} for c in facts["credits"]
        ]
    container["timeline"] = [
        {"time": e["at"], "lang": "en", "value": e["text"]} for e in facts["timeline"]
    ]
    return container


def _description(facts: dict) -> str:
    text = facts["description"] or facts["title"]
    return f"{text}\n\n{facts['impact']}" if facts["impact"] else text


def _cvss(score: dict, version: str) -> dict:
    return {
        "version": version,
        "vectorString": score["vector"],
        "baseScore": score["score"],
        "baseSeverity": score["severity"].upper(),
    }


def _affected(facts: dict) -> list[dict]:
    versions = []
    for branch in facts["branches"]:
        if branch["not_affected"] or not branch["affected"]:
            continue
        entry = {
            "version": branch["affected"][0],
            "status": "affected",
            "versionType": VERSION_TYPE,
        }
        if branch["fixed_in"]:
            entry["lessThan"] = branch["fixed_in"][0]
        else:
            entry["lessThanOrEqual"] = branch["affected"][-1]
        versions.append(entry)
        if branch["fixed_in"]:
            versions.append(
                {
                    "version": branch["fixed_in"][0],
                    "status": "unaffected",
                    "versionType": VERSION_TYPE,
                }
            )
    affected = {
        "vendor": facts["project"]["name"],
        "product": facts["project"]["name"],
        "defaultStatus": "unknown",
    }
    if versions:
        affected["versions"] = _unique(versions)
    else:
        # No release history to read: say so rather than invent versions.
        affected["versions"] = [{"version": "0", "status": "affected", "versionType": VERSION_TYPE}]
        affected["defaultStatus"] = "affected"
    repos = sorted({b["repo_url"] for b in facts["branches"] if b["repo_url"].startswith("http")})
    if repos:
        affected["repo"] = repos[0]
    return [affected]


def _unique(entries: list[dict]) -> list[dict]:
    seen, out = set(), []
    for entry in entries:
        key = tuple(sorted(entry.items()))
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out
