"""A CSAF 2.0 security advisory (profile csaf_security_advisory), which must pass
the mandatory tests of the `csaf` package before it is published."""

from django.conf import settings

from secdesk.advisories.ranges import ranges_of

ENGINE = "secdesk"


def render(facts: dict, *, current: str) -> dict:
    """`current` is the release date of this version of the document."""
    initial = facts["published"] or current
    # One entry per revision: the publication, then each amendment.
    history = [
        {"date": r["date"], "number": str(r["number"]), "summary": r["summary"]}
        for r in facts["revisions"]
    ] or [{"date": initial, "number": "0.1.0", "summary": "Initial version."}]
    tree, status, remediations = _products(facts)
    affected = status.get("known_affected", [])
    vulnerability = {
        "title": facts["title"],
        "notes": [
            {
                "category": "description",
                "title": "Description",
                "text": facts["description"] or facts["title"],
            }
        ],
        "product_status": status,
        **({"remediations": remediations} if remediations else {}),
    }
    if facts["impact"]:
        vulnerability["notes"].append(
            {"category": "details", "title": "Impact", "text": facts["impact"]}
        )
    if facts["cwe"] and facts["cwe"]["name"]:
        vulnerability["cwe"] = {"id": facts["cwe"]["id"], "name": facts["cwe"]["name"]}
    if facts["cvss3"] and affected:
        cvss = facts["cvss3"]
        vulnerability["scores"] = [
            {
                "products": affected,
                "cvss_v3": {
                    "version": "3.1",
                    "vectorString": cvss["vector"],
                    "baseScore": cvss["score"],
                    "baseSeverity": cvss["severity"].upper(),
                },
            }
        ]
    if facts["credits"]:
        vulnerability["acknowledgments"] = [{"names": facts["credits"]}]
    vulnerabilities = []
    for cve in facts["cves"] or [None]:
        entry = dict(vulnerability)
        if cve:
            entry["cve"] = cve
        vulnerabilities.append(entry)
    return {
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "lang": "en",
            "title": facts["title"],
            "publisher": {
                "category": "vendor",
                "name": facts["project"]["name"],
                "namespace": settings.SITE_URL,
            },
            "distribution": {"tlp": {"label": "WHITE"}},
            "notes": [
                {
                    "category": "summary",
                    "title": "Summary",
                    "text": facts["description"] or facts["title"],
                }
            ],
            "references": [
                {"category": "self", "summary": "This advisory", "url": facts["url"]},
                *(
                    {"category": "external", "summary": "Reference", "url": url}
                    for url in facts["references"]
                ),
            ],
            "tracking": {
                "id": facts["id"],
                "status": "final" if facts["published"] else "draft",
                "version": history[-1]["number"],
                "initial_release_date": initial,
                "current_release_date": current,
                "revision_history": history,
                "generator": {"engine": {"name": ENGINE}},
            },
        },
        "product_tree": tree,
        "vulnerabilities": vulnerabilities,
    }


def _products(facts: dict) -> tuple[dict, dict, list[dict]]:
    """A product per release of each package, filed under the vendor and the
    product's name; the status of each; and per branch a remediation naming
    the release that fixes that branch's affected releases. A package whose
    releases are not known is one product, affected as a whole."""
    products, status, remediations = [], {}, []
    next_id = iter(f"CSAFPID-{n:04d}" for n in range(1, 1_000_000))
    for package in facts["packages"]:
        model = ranges_of(package)
        name = {"category": "product_name", "name": package["product"]}
        products.append(name)
        if not model.complete:
            pid = next(next_id)
            name["product"] = {"name": package["product"], "product_id": pid}
            status.setdefault("known_affected", []).append(pid)
            remediations.append(_unreleased(package, [pid], facts["url"]))
            continue
        ids = {version: next(next_id) for version in model.releases}
        name["branches"] = [
            {
                "category": "product_version",
                "name": version,
                "product": _product(package, version, pid),
            }
            for version, pid in ids.items()
        ]
        for key, versions in (
            ("known_affected", model.affected),
            ("fixed", model.fixed),
            ("known_not_affected", model.not_affected),
        ):
            status.setdefault(key, []).extend(ids[v] for v in versions)
        for branch in model.branches:
            affected = [ids[v] for v in branch.affected]
            if branch.fixed_in:
                # A branch none of whose releases were affected still names
                # its fixed release: every fixed product has its remediation.
                remediations.append(
                    {
                        "category": "vendor_fix",
                        "details": f"{branch.branch}: update to {package['product']} "
                        f"{branch.fixed_in}.",
                        "product_ids": affected or [ids[branch.fixed_in]],
                        "url": facts["url"],
                    }
                )
            elif affected:
                remediations.append(_unreleased(package, affected, facts["url"], branch.branch))
        if model.fixed and not remediations:
            # Fixed only in releases of branches nobody maintains.
            remediations.append(
                {
                    "category": "vendor_fix",
                    "details": f"Fixed in {package['product']} {', '.join(model.fixed)}.",
                    "product_ids": [ids[v] for v in model.fixed],
                    "url": facts["url"],
                }
            )
    tree = {
        "branches": [{"category": "vendor", "name": facts["project"]["name"], "branches": products}]
    }
    return tree, {key: ids for key, ids in status.items() if ids}, remediations


def _product(package: dict, version: str, pid: str) -> dict:
    product = {"name": f"{package['product']} {version}", "product_id": pid}
    helper = {}
    if package["purl"]:
        helper["purl"] = f"{package['purl']}@{version}"
    if package["cpe"].startswith("cpe:2.3:"):
        parts = package["cpe"].split(":")
        if parts[5] in ("*", "-"):
            parts[5] = version.replace(":", "\\:")
        helper["cpe"] = ":".join(parts)
    if helper:
        product["product_identification_helper"] = helper
    return product


def _unreleased(package: dict, product_ids: list[str], url: str, branch: str = "") -> dict:
    """The fix commits stand in for a release that does not ship them yet."""
    commits = ", ".join(package["fix_commits"])
    where = f"{branch}: " if branch else ""
    return {
        "category": "vendor_fix" if commits else "none_available",
        "details": f"{where}fixed by commit {commits}, in no release yet."
        if commits
        else f"{where}no fix yet.",
        "product_ids": product_ids,
        "url": url,
    }
