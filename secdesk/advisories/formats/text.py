"""The plain-text announcement: the layout good projects use —
summary, affected and fixed versions per branch, CVE, severity, credits,
timeline, fix commits, references."""

import textwrap

from secdesk.advisories import credits, references


def _wrap(text: str) -> str:
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "\n\n".join(textwrap.fill(" ".join(p.split()), 72) for p in paragraphs)


def _section(title: str, body: str) -> str:
    return f"{title}\n{'-' * len(title)}\n{body.rstrip()}\n"


def subject(facts: dict) -> str:
    cves = ", ".join(facts["cves"])
    return f"[{facts['id']}] {facts['project']['name']}: {facts['title']}" + (
        f" ({cves})" if cves else ""
    )


def _branch_lines(branch: dict) -> list[str]:
    name = (
        f"{branch['repository']}:{branch['branch']}" if branch["repository"] else branch["branch"]
    )
    if branch["not_affected"]:
        return [f"  {name}: not affected ({branch['not_affected']})"]
    affected = ", ".join(branch["affected"]) or "no release known"
    if branch["fixed_in"]:
        fixed = branch["fixed_in"][0]
    elif branch["commits"]:
        fixed = "not yet in a release"
    else:
        fixed = "no fix yet"
    return [f"  {name}", f"    affected: {affected}", f"    fixed in: {fixed}"]


def render(facts: dict) -> str:
    parts = [
        f"{facts['project']['name']} security advisory {facts['id']}",
        "",
        f"  Title:      {facts['title']}",
        f"  Product:    {', '.join(p['product'] for p in facts['packages'])}",
        f"  CVE:        {', '.join(facts['cves']) or 'none assigned'}",
        f"  Severity:   {_severity(facts)}",
        f"  Published:  {_day(facts['published'])}",
        f"  Advisory:   {facts['url']}",
        "",
    ]
    summary = facts["description"] or facts["title"]
    if facts["zero_day"]:
        summary += "\n\nThis issue was already public when it was reported."
    parts.append(_section("Summary", _wrap(summary)))
    if facts["impact"]:
        parts.append(_section("Impact", _wrap(facts["impact"])))
    versions = [line for branch in facts["branches"] for line in _branch_lines(branch)]
    parts.append(_section("Affected and fixed versions", "\n".join(versions) or "  not known"))
    parts.append(_section("CVE", "\n".join(f"  {c}" for c in facts["cves"]) or "  none"))
    severity = [f"  {_severity(facts)}"]
    for key, label in (("cvss3", "CVSS 3.1"), ("cvss4", "CVSS 4.0")):
        if facts[key]:
            severity.append(f"  {label}: {facts[key]['score']} {facts[key]['vector']}")
    for cwe in facts["cwes"]:
        severity.append(f"  {cwe['id']}: {cwe['name'] or ''}".rstrip(": "))
    parts.append(_section("Severity", "\n".join(severity)))
    # No credits, no section: nobody is said to have asked not to be named.
    if facts["credits"]:
        named = "\n".join(f"  {credits.shown(c)}" for c in facts["credits"])
        parts.append(_section("Credits", named))
    timeline = "\n".join(f"  {_minute(e['at'])}  {e['text']}" for e in facts["timeline"])
    parts.append(_section("Timeline (UTC)", timeline))
    if len(facts["revisions"]) > 1:
        parts.append(_section("Revisions", _revision_lines(facts)))
    commits = [f"  {b['branch']}: {commit}" for b in facts["branches"] for commit in b["commits"]]
    parts.append(_section("Fix commits", "\n".join(commits) or "  none yet"))
    listed = [facts["url"]] + [
        r["url"] if r["type"] == references.DEFAULT_TYPE else f"{r['url']} ({r['type']})"
        for r in facts["references"]
    ]
    parts.append(_section("References", "\n".join(f"  {r}" for r in listed)))
    return "\n".join(parts)


def revision_subject(facts: dict) -> str:
    return f"[{facts['id']}] revised: {facts['project']['name']}: {facts['title']}"


def revision_mail(facts: dict) -> str:
    """The short mail that tells the lists an advisory was amended, and why."""
    latest = facts["revisions"][-1]
    versions = [line for branch in facts["branches"] for line in _branch_lines(branch)]
    return "\n".join(
        [
            f"{facts['project']['name']} security advisory {facts['id']} was revised.",
            "",
            f"  Revision:   {latest['number']} ({_day(latest['date'])})",
            f"  CVE:        {', '.join(facts['cves']) or 'none assigned'}",
            f"  Advisory:   {facts['url']}",
            "",
            _section("Why", _wrap(latest["summary"])),
            _section("Affected and fixed versions", "\n".join(versions) or "  not known"),
            _section("Revisions", _revision_lines(facts)),
            "The advisory as revised, in every format, is at the address above.\n",
        ]
    )


def _revision_lines(facts: dict) -> str:
    return "\n".join(
        f"  {r['number']}  {_day(r['date'])}  {r['summary']}" for r in facts["revisions"]
    )


def _severity(facts: dict) -> str:
    score = facts["cvss3"] or facts["cvss4"]
    return f"{facts['severity']} ({score['score']})" if score else facts["severity"]


def _day(iso: str | None) -> str:
    return iso[:10] if iso else "not yet"


def _minute(iso: str) -> str:
    return iso[:16].replace("T", " ")
