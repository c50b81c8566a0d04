"""A CSAF 2.0 security advisory (profile csaf_security_advisory), which must pass
the mandatory tests of the `csaf` package before it is published."""

from django.conf import settings

ENGINE = "secdesk"


def render(facts: dict, *, current: str) -> dict:
    """`current` is the release date of this version of the document."""
    initial = facts["published"] or current
    products, tree = _products(facts)
    affected = [products[v] for v in facts["affected"]] or [products[None]]
    fixed = [products[v] for v in facts["fixed_in"] if v in products and v not in facts["affected"]]
    vulnerability = {
        "title": facts["title"],
        "notes": [
            {
                "category": "description",
                "title": "Description",
                "text": facts["description"] or facts["title"],
            }
        ],
        "product_status": {"known_affected": affected, **({"fixed": fixed} if fixed else {})},
        "remediations": [
            {
                "category": "vendor_fix",
                "details": _remedy(facts),
                "product_ids": affected,
                "url": facts["url"],
            }
        ],
    }
    if facts["impact"]:
        vulnerability["notes"].append(
            {"category": "details", "title": "Impact", "text": facts["impact"]}
        )
    if facts["cwe"] and facts["cwe"]["name"]:
        vulnerability["cwe"] = {"id": facts["cwe"]["id"], "name": facts["cwe"]["name"]}
    if facts["cvss3"]:
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
                "version": "1" if facts["published"] else "0.1.0",
                "initial_release_date": initial,
                "current_release_date": current,
                "revision_history": [
                    {
                        "date": initial,
                        "number": "1" if facts["published"] else "0.1.0",
                        "summary": "Initial version.",
                    }
                ],
                "generator": {"engine": {"name": ENGINE}},
            },
        },
        "product_tree": tree,
        "vulnerabilities": vulnerabilities,
    }


def _remedy(facts: dict) -> str:
    lines = []
    for branch in facts["branches"]:
        if branch["fixed_in"]:
            lines.append(f"{branch['branch']}: fixed in {branch['fixed_in'][0]}")
        for commit in branch["commits"]:
            lines.append(f"{branch['branch']}: fix commit {commit}")
    return "; ".join(lines) or "See the advisory."


def _products(facts: dict) -> tuple[dict, dict]:
    """Product ids by version (None: the project as a whole, when no release is known)."""
    name = facts["project"]["name"]
    # Without a known affected release, the advisory is about the project as a whole.
    versions = facts["affected"] and facts["affected"] + [
        v for v in facts["fixed_in"] if v not in facts["affected"]
    ]
    product_name = {"category": "product_name", "name": name}
    if versions:
        products = {v: f"CSAFPID-{i:04d}" for i, v in enumerate(versions, start=1)}
        product_name["branches"] = [
            {
                "category": "product_version",
                "name": version,
                "product": {"name": f"{name} {version}", "product_id": pid},
            }
            for version, pid in products.items()
        ]
    else:
        products = {None: "CSAFPID-0001"}
        product_name["product"] = {"name": name, "product_id": "CSAFPID-0001"}
    tree = {"branches": [{"category": "vendor", "name": name, "branches": [product_name]}]}
    return products, tree
