"""The public security documents, generated from the policy secdesk enforces
(docs/policy.md): the security process page, the short "security issues" section
for bug and contact pages, and security.txt (RFC 9116). Every number on them is
read from the project's Policy, so the page cannot say what secdesk does not do.

Which project /.well-known/security.txt describes: the only one, or with
several the one whose SecurityContact is the site default; /security/<slug>/
security.txt is each project's own.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string

from secdesk.advisories.models import SecurityContact
from secdesk.advisories.security_txt import expires_of
from secdesk.errors import NotFound
from secdesk.lib.dates import stamp
from secdesk.teams.models import Agreement, Project


def contact_of(project: Project) -> SecurityContact:
    return SecurityContact.objects.filter(project=project).first() or SecurityContact(
        project=project
    )


def site_default_project() -> Project:
    projects = list(Project.objects.all()[:2])
    if len(projects) == 1:
        return projects[0]
    contact = SecurityContact.objects.filter(site_default=True).select_related("project").first()
    if contact is None:
        raise NotFound("several projects, and none is the site default for security.txt")
    return contact.project


def site_publisher() -> str:
    """Who publishes on this site: the project /.well-known/security.txt
    describes, or with several and none the default, the site's host."""
    try:
        return site_default_project().name
    except NotFound:
        return urlsplit(settings.SITE_URL).hostname or settings.SITE_URL


def urls(project: Project) -> dict:
    base = f"{settings.SITE_URL}/security/{project.slug}/"
    return {
        "page": base,
        "security_txt": f"{base}security.txt",
        "key": f"{base}openpgp.asc",
        "advisories": f"{settings.SITE_URL}/advisories/?project={project.slug}",
        "feed": f"{settings.SITE_URL}/advisories/feed.atom",
    }


def context(project: Project) -> dict:
    """Everything the documents say, from the policy and the project."""
    policy = project.policy
    members = project.memberships.active()
    organisations = sorted({m.organisation for m in members if m.organisation})
    branches = [
        {"repository": repository.name, "patterns": [b.pattern for b in repository.branches.all()]}
        for repository in project.repositories.prefetch_related("branches").order_by("name")
    ]
    if policy.agreement == Agreement.APPROVALS:
        agreement = (
            f"the approval of {policy.agreement_approvals} team member"
            + ("s" if policy.agreement_approvals != 1 else "")
            + " other than the one who proposes it"
        )
    else:
        agreement = f"that no team member objects within {policy.agreement_hours} hours"
    reminders = [int(h) for h in policy.reminder_hours.split(",") if h]
    return {
        "project": project,
        "policy": policy,
        "contact": contact_of(project),
        "organisations": organisations,
        "branches": branches,
        "agreement": agreement,
        "reminders": reminders,
        "urls": urls(project),
        "vouches": policy.vouches_needed,
    }


def process_page_html(project: Project, *, standalone: bool = True) -> str:
    return render_to_string("advisories/security_process.html", context(project))


def issues_section(project: Project) -> str:
    """The short "Security issues" section for the bug tracker and contact pages (Markdown)."""
    return render_to_string("advisories/security_issues.md", context(project))


def security_txt(project: Project, *, canonical: list[str] | None = None) -> str:
    """RFC 9116. `canonical` names where this copy is served.

    Its Expires is stored (see security_txt.py), so the text is the same on
    every request until the worker renews it. That is what a cleartext
    OpenPGP signature needs: with a project signing key (a later change) the
    text returned here is signed once per renewal and served signed.
    """
    contact = contact_of(project)
    links = urls(project)
    lines = [f"Contact: mailto:{project.security_address}"]
    lines.append(f"Expires: {stamp(expires_of(contact))}")
    if contact.openpgp_key:
        lines.append(f"Encryption: {links['key']}")
    lines.append(f"CSAF: {settings.SITE_URL}/.well-known/csaf/provider-metadata.json")
    for url in canonical or [links["security_txt"]]:
        lines.append(f"Canonical: {url}")
    lines.append(f"Policy: {links['page']}")
    lines.append(f"Preferred-Languages: {contact.preferred_languages}")
    return "\n".join(lines) + "\n"
