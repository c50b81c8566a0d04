"""A project's settings for its admins: the embargo policy, the lists that
announcements go to, and how the advisories name the project's software.

The policy form sends only the fields that changed: every change makes a new
policy version, and every other member's consent lapses until they accept it.
"""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from secdesk.advisories.package_identity import (
    FIELDS,
    VERSION_TYPES,
    do_set_package_identity,
    identity_of,
)
from secdesk.errors import NotAllowed, Refused
from secdesk.teams.access import has_role, require_role
from secdesk.teams.actions import POLICY_FIELDS, do_set_list_addresses, do_set_policy
from secdesk.teams.models import Policy, Project, Role
from secdesk.web.decorators import member_view

LABELS = {
    "default_embargo_days": "Embargo length (days)",
    "max_embargo_days": "Longest embargo with extensions (days)",
    "max_restarts": "Clock restarts allowed after a faulty fix",
    "agreement": "An extension needs",
    "agreement_approvals": "Approvals needed",
    "agreement_hours": "Waiting period for objections (hours)",
    "hold_escalation_hours": "Escalate a held report to the admins after (hours)",
    "acknowledgements_per_day": "Automatic replies to one sender per day",
    "signature_max_age_days": "Hold signed mail signed longer ago than (days)",
    "acknowledgements_per_domain_per_hour": "Automatic replies to one domain per hour",
    "acknowledgements_per_hour": "Automatic replies in all per hour",
    "reminder_hours": "Remind members before an embargo ends (hours, e.g. 72,24)",
    "vouches_needed": "Vouches a new member needs",
    "security_issue_text": "What counts as a security issue",
}


class PolicyForm(forms.Form):
    """The policy's fields with the model's own limits; the rules across fields
    are do_set_policy's to check."""

    def __init__(self, data=None, *, policy: Policy):
        initial = {name: getattr(policy, name) for name in POLICY_FIELDS}
        super().__init__(data, initial=initial)
        self.fields.update(
            forms.fields_for_model(
                Policy,
                fields=list(POLICY_FIELDS),
                labels=LABELS,
                widgets={"security_issue_text": forms.Textarea(attrs={"rows": 6})},
            )
        )

    def changes(self) -> dict[str, str]:
        """The changed fields as text, the way do_set_policy reads them."""
        return {name: str(self.cleaned_data[name]) for name in self.changed_data}


class ListsForm(forms.Form):
    dev_list = forms.EmailField(label="Development list", required=False)
    announce_list = forms.EmailField(label="Announcement list", required=False)


class PackageForm(forms.Form):
    """The names the advisories give the software; do_set_package_identity
    checks each against what its consumer accepts."""

    product = forms.CharField(
        label="Product name", required=False, help_text="The project's name if empty."
    )
    ecosystem = forms.CharField(
        label="OSV ecosystem",
        required=False,
        help_text="e.g. PyPI, npm, crates.io; empty for a project published only as source.",
    )
    package_name = forms.CharField(label="Package name in that ecosystem", required=False)
    purl = forms.CharField(label="Package URL (purl)", required=False, help_text="pkg:TYPE/NAME")
    cpe = forms.CharField(label="CPE 2.3 name", required=False)
    repository_url = forms.CharField(
        label="Public repository",
        required=False,
        help_text="The https address anyone can clone: OSV's GIT ranges and the CVE record "
        "name it. The mirrors' addresses stay private.",
    )
    version_type = forms.ChoiceField(
        label="Version scheme",
        required=False,
        choices=[("", "semver when every release is N.N.N, else custom")]
        + [(v, v) for v in VERSION_TYPES],
    )


def _project_for_admin(request, slug) -> Project:
    """404 to anyone not on the team, 403 to a member who is not an admin."""
    project = Project.objects.select_related("policy").filter(slug=slug).first()
    if project is None or not has_role(request.person, project):
        raise Http404("no such project")
    require_role(request.person, project, Role.ADMIN)
    return project


def _save_policy(request, project, form) -> bool:
    """Whether the policy form is done with (saved, or nothing to save)."""
    changes = form.changes()
    if not changes:
        messages.info(request, "Nothing changed; the policy stays at this version.")
        return True
    try:
        saved = do_set_policy(project, changes, acting=request.person)
    except Refused as refused:
        form.add_error(None, refused.message)
        return False
    messages.success(
        request,
        f"Policy version {saved.version} saved. The other members see no cases of "
        f"{project.name} until they accept it.",
    )
    return True


def _save_lists(request, project, form) -> bool:
    try:
        do_set_list_addresses(project, acting=request.person, **form.cleaned_data)
    except Refused as refused:
        form.add_error(None, refused.message)
        return False
    messages.success(request, "List addresses saved.")
    return True


def _save_package(request, project, form) -> bool:
    changes = {name: form.cleaned_data[name] for name in form.changed_data}
    try:
        do_set_package_identity(project, changes, acting=request.person)
    except Refused as refused:
        form.add_error(None, refused.message)
        return False
    messages.success(request, "Package identity saved; the next advisory uses it.")
    return True


@member_view
@require_http_methods(["GET", "POST"])
def project_settings(request, slug):
    try:
        project = _project_for_admin(request, slug)
    except NotAllowed as refused:
        return render(request, "403.html", {"reason": refused.message}, status=403)
    section = request.POST.get("section") if request.method == "POST" else None
    policy_form = PolicyForm(request.POST if section == "policy" else None, policy=project.policy)
    lists_form = ListsForm(
        request.POST if section == "lists" else None,
        initial={"dev_list": project.dev_list, "announce_list": project.announce_list},
    )
    identity = identity_of(project)
    package_form = PackageForm(
        request.POST if section == "package" else None,
        initial={name: getattr(identity, name) for name in FIELDS},
    )
    saving = {
        "policy": (policy_form, _save_policy),
        "lists": (lists_form, _save_lists),
        "package": (package_form, _save_package),
    }
    if section in saving:
        form, save = saving[section]
        if form.is_valid() and save(request, project, form):
            return redirect("project_settings", slug=project.slug)
    return render(
        request,
        "secdesk/project_settings.html",
        {
            "project": project,
            "policy": project.policy,
            "policy_form": policy_form,
            "lists_form": lists_form,
            "package_form": package_form,
        },
        # A form sent back with its errors.
        status=400 if section else 200,
    )
