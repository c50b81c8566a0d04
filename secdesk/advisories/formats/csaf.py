"""A CSAF 2.0 security advisory (profile csaf_security_advisory), which must pass
the mandatory tests of the `csaf` package before it is published.

Its canonical home is the provider's directory (see csaf_provider.py):
/.well-known/csaf/white/<year of the initial release>/<file name>, the file
named after the tracking id as the standard requires."""

import re
from urllib.parse import quote

from django.conf import settings

from secdesk.advisories import references
from secdesk.advisories.ranges import ranges_of

ENGINE = "secdesk"
TLP_FOLDER = "white"
NOT_IN_FILE_NAME = re.compile(r"[^+\-a-z0-9]+")


def file_name(tracking_id: str) -> str:
    """The tracking id in lower case, every run of other characters one `_`."""
    return NOT_IN_FILE_NAME.sub("_", tracking_id.lower()) + ".json"


def directory_path(tracking_id: str, initial_release_date: str) -> str:
    """Where the document lives below /.well-known/csaf/."""
    return f"{TLP_FOLDER}/{initial_release_date[:4]}/{file_name(tracking_id)}"


def canonical_url(tracking_id: str, initial_release_date: str) -> str:
    return (
        f"{settings.SITE_URL}/.well-known/csaf/{directory_path(tracking_id, initial_release_date)}"
    )


def render(facts: dict, *, current: str) -> dict:
    """`current` is the release date of this version of the document."""
    initial = facts["published"] or current
    # One entry per revision: the publication, then each amendment.
    history = [
        {"date": r["date"], "number": str(r["number"]), "summary": r["summary"]}
        for r in facts["revisions"]
    ] or [{"date": initial, "number": "0.1.0", "summary": "Initial version."}]
    tree, status, remediations = _products(facts)
    vulnerability = _vulnerability(facts, status, remediations)
    vulnerabilities = []
    for cve in facts["cves"] or [None]:
        entry = dict(vulnerability)
        if cve:
            entry["cve"] = cve
        vulnerabilities.append(entry)
    return _sorted(
        {
            "document": _document(facts, history, initial, current),
            "product_tree": tree,
            "vulnerabilities": vulnerabilities,
        }
    )


def _document(facts: dict, history: list[dict], initial: str, current: str) -> dict:
    """The document's own part: who publishes it, what it refers to, its versions."""
    return {
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
            {
                "category": "self",
                "summary": "This advisory",
                "url": canonical_url(facts["id"], initial),
            },
            {
                "category": "external",
                "summary": "This advisory's web page",
                "url": facts["url"],
            },
            *(
                {
                    "category": "external",
                    "summary": references.csaf_summary(r),
                    "url": r["url"],
                }
                for r in facts["references"]
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
    }


def _vulnerability(facts: dict, status: dict, remediations: list[dict]) -> dict:
    """What every CVE of the advisory shares: its text, weaknesses, scores, credits."""
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
    named = [cwe for cwe in facts["cwes"] if cwe["name"]]
    if named:
        # CSAF 2.0 holds one weakness per vulnerability: the first; the others in words.
        vulnerability["cwe"] = {"id": named[0]["id"], "name": named[0]["name"]}
    if len(named) > 1:
        vulnerability["notes"].append(
            {
                "category": "details",
                "title": "Further weaknesses",
                "text": "; ".join(f"{cwe['id']} {cwe['name']}" for cwe in named[1:]),
            }
        )
    if facts["disclosed"]:
        vulnerability["release_date"] = facts["disclosed"]
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
    if facts["cvss4"]:
        vulnerability["notes"].append(_cvss4_note(facts["cvss4"]))
    if facts["credits"]:
        vulnerability["acknowledgments"] = _acknowledgments(facts["credits"])
    return vulnerability


def _sorted(value):
    """Keys in alphabetical order at every level, as the standard recommends
    (a reader can then compare two versions of a document line by line)."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def _acknowledgments(given: list[dict]) -> list[dict]:
    """One acknowledgment per role, in the order the roles first appear."""
    by_role: dict[str, list[str]] = {}
    for credit in given:
        by_role.setdefault(credit["role"], []).append(credit["name"])
    return [{"names": names, "summary": role} for role, names in by_role.items()]


def _cvss4_note(cvss: dict) -> dict:
    """CSAF 2.0 has no place for a CVSS 4.0 score: it is stated in words, so
    a reader of this format is not told less than one of CVE or OSV."""
    return {
        "category": "other",
        "title": "CVSS 4.0",
        "text": f"CVSS 4.0 base score {cvss['score']} ({cvss['severity']}): {cvss['vector']}. "
        "CSAF 2.0 has no field for CVSS 4.0 scores; the CVE and OSV records carry it.",
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
            name["product"] = _product(package, None, pid)
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
        remediations += _branch_fixes(package, model, ids, facts["url"])
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


def _branch_fixes(package: dict, model, ids: dict[str, str], url: str) -> list[dict]:
    """Per maintained branch, the remediation naming the release that fixes it
    (or saying none does yet)."""
    fixes = []
    for branch in model.branches:
        affected = [ids[v] for v in branch.affected]
        if branch.fixed_in:
            # A branch none of whose releases were affected still names
            # its fixed release: every fixed product has its remediation.
            fixes.append(
                {
                    "category": "vendor_fix",
                    "details": f"{branch.branch}: update to {package['product']} "
                    f"{branch.fixed_in}.",
                    "product_ids": affected or [ids[branch.fixed_in]],
                    "url": url,
                }
            )
        elif affected:
            fixes.append(_unreleased(package, affected, url, branch.branch))
    return fixes


def _product(package: dict, version: str | None, pid: str) -> dict:
    """One release of the package, or (without a version) the package as a
    whole, with what a scanner matches it by: its purl and CPE."""
    name = f"{package['product']} {version}" if version else package["product"]
    product = {"name": name, "product_id": pid}
    helper = {}
    if package["purl"]:
        helper["purl"] = f"{package['purl']}@{version}" if version else package["purl"]
    elif package["repo_url"]:
        helper["purl"] = _source_purl(package, version)
    if package["cpe"].startswith("cpe:2.3:"):
        parts = package["cpe"].split(":")
        if version and parts[5] in ("*", "-"):
            parts[5] = version.replace(":", "\\:")
        helper["cpe"] = ":".join(parts)
    if helper:
        product["product_identification_helper"] = helper
    return product


def _source_purl(package: dict, version: str | None) -> str:
    """A project that names no purl is still found by its public repository:
    a generic purl naming the release and where its source is."""
    name = quote(package["product"].lower().replace(" ", "-"), safe="")
    at = f"@{quote(version, safe='')}" if version else ""
    source = quote(f"git+{package['repo_url']}", safe="")
    return f"pkg:generic/{name}{at}?vcs_url={source}"


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
