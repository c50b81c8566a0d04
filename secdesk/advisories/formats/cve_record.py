"""The CVE JSON 5.1 CNA container of each CVE id (what CVE Services accepts in
POST /cve/{id}/cna; validated against the cnaPublishedContainer schema), and
the full record around it (validated against the bundled record schema)."""

import uuid

from django.conf import settings

from secdesk.advisories import credits, references
from secdesk.advisories.ranges import ranges_of, version_type

DATA_VERSION = "5.1"

# The package collections of OSV ecosystems, as the CVE schema's examples name them.
COLLECTIONS = {
    "crates.io": "https://crates.io",
    "CRAN": "https://cran.r-project.org",
    "Hackage": "https://hackage.haskell.org",
    "Hex": "https://repo.hex.pm",
    "Maven": "https://repo.maven.apache.org/maven2",
    "npm": "https://registry.npmjs.org",
    "NuGet": "https://nuget.org/packages",
    "Packagist": "https://packagist.org",
    "Pub": "https://pub.dev",
    "PyPI": "https://pypi.python.org",
    "RubyGems": "https://rubygems.org",
}


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
        + [_reference(r) for r in facts["references"]],
    }
    if facts["disclosed"]:
        # When it became public: a zero-day's disclosure, not our publication.
        container["datePublic"] = facts["disclosed"]
    if facts["published"]:
        container["providerMetadata"]["dateUpdated"] = facts["updated"]
    if facts["cwes"]:
        container["problemTypes"] = [
            {
                "descriptions": [
                    {
                        "lang": "en",
                        "type": "CWE",
                        "cweId": cwe["id"],
                        "description": f"{cwe['id']} {cwe['name'] or ''}".strip(),
                    }
                    for cwe in facts["cwes"]
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
            {"lang": "en", "value": c["name"], "type": credits.cve_type(c)}
            for c in facts["credits"]
        ]
    container["timeline"] = [
        {"time": e["at"], "lang": "en", "value": e["text"]} for e in facts["timeline"]
    ]
    return container


def full_record(cve_id: str, container: dict, facts: dict) -> dict:
    """The whole CVE record as the CVE List will show it: the id and its
    assigner in cveMetadata, around the CNA container. Made from the stored
    container, so it says what was sent to CVE Services."""
    metadata = {
        "cveId": cve_id,
        "assignerOrgId": container["providerMetadata"]["orgId"],
        "state": "PUBLISHED",
    }
    if facts["published"]:
        metadata["datePublished"] = facts["published"]
        # Documents stored before revisions existed have no `updated`.
        metadata["dateUpdated"] = facts.get("updated") or facts["published"]
    return {
        "dataType": "CVE_RECORD",
        "dataVersion": DATA_VERSION,
        "cveMetadata": metadata,
        "containers": {"cna": container},
    }


def _reference(reference: dict) -> dict:
    tags = references.cve_tags(reference)
    return {"url": reference["url"], **({"tags": tags} if tags else {})}


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
    return [_product(package) for package in facts["packages"]]


def _product(package: dict) -> dict:
    """The affected runs as non-overlapping ranges in version order, so the
    first match is the only match. With every release known, any version the
    ranges leave out is unaffected; without a release history, unknown."""
    model = ranges_of(package)
    kind = version_type(package)
    product = {"vendor": package["vendor"], "product": package["product"]}
    collection = COLLECTIONS.get(package["ecosystem"])
    if collection and package["package_name"]:
        product["collectionURL"] = collection
        product["packageName"] = package["package_name"]
    if package["cpe"]:
        product["cpes"] = [package["cpe"]]
    if package["repo_url"]:
        product["repo"] = package["repo_url"]
    versions = []
    for run in model.runs:
        entry = {"version": run.first, "status": "affected", "versionType": kind}
        if run.next:
            entry["lessThan"] = run.next
        else:
            entry["lessThanOrEqual"] = run.last
        versions.append(entry)
    if versions:
        product["versions"] = versions
    product["defaultStatus"] = "unaffected" if model.complete else "unknown"
    return product
