"""How the advisories name the project's software (see PackageIdentity), and
the action that changes it. Each name is checked against what its consumer
accepts: OSV's list of ecosystems, the purl and CPE 2.3 syntaxes, a public
https address for the repository."""

import json
import re
from functools import cache

from django.core.exceptions import ValidationError

from secdesk.advisories.validation import OSV_SCHEMA
from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.actions.common import atomic
from secdesk.errors import BadInput
from secdesk.fixes.models import PackageIdentity
from secdesk.teams.access import require_role
from secdesk.teams.models import Person, Project, Role

FIELDS = (
    "product",
    "ecosystem",
    "package_name",
    "purl",
    "cpe",
    "repository_url",
    "version_type",
)
VERSION_TYPES = ("semver", "custom")
PURL = re.compile(r"^pkg:[a-z][a-z0-9.+-]*/[^@?#\s]+$")
CPE23 = re.compile(r"^cpe:2\.3:[aho\*\-](:[^:\s]+){10}$")
PUBLIC_URL = re.compile(r"^https://[^/\s]+\.[^/\s]+(/\S*)?$")


@cache
def ecosystems() -> tuple[str, ...]:
    """The ecosystems OSV knows, from the schema we validate against."""
    schema = json.loads(OSV_SCHEMA.read_text())
    return tuple(schema["$defs"]["ecosystemName"]["enum"])


def identity_of(project: Project) -> PackageIdentity:
    return PackageIdentity.objects.filter(project=project).first() or PackageIdentity(
        project=project
    )


def as_json(identity: PackageIdentity) -> dict:
    return {"project": identity.project.slug, **{f: getattr(identity, f) for f in FIELDS}}


def _check(values: dict[str, str]) -> None:
    ecosystem = values["ecosystem"]
    if ecosystem and ecosystem.partition(":")[0] not in ecosystems():
        raise BadInput(
            f"ecosystem {ecosystem!r} is not one of OSV's ({', '.join(ecosystems())}); "
            "leave it empty for a project published only as source (OSV then gets a GIT range)"
        )
    if bool(ecosystem) != bool(values["package_name"]):
        raise BadInput("give the ecosystem and the package name together, or neither")
    if values["purl"] and not PURL.match(values["purl"]):
        raise BadInput(f"purl {values['purl']!r}: expected pkg:TYPE/NAME, without a version")
    if values["cpe"] and not CPE23.match(values["cpe"]):
        raise BadInput(f"CPE {values['cpe']!r}: expected a CPE 2.3 name, cpe:2.3:a:VENDOR:…")
    if values["repository_url"] and not PUBLIC_URL.match(values["repository_url"]):
        raise BadInput(
            f"repository URL {values['repository_url']!r}: the public https address "
            "that anyone can clone, not the mirror's"
        )
    if values["version_type"] and values["version_type"] not in VERSION_TYPES:
        raise BadInput(
            f"version type {values['version_type']!r}: one of {', '.join(VERSION_TYPES)}, "
            "or empty for semver when every release is N.N.N"
        )


def do_set_package_identity(
    project: Project, changes: dict[str, str], *, acting: Person
) -> PackageIdentity:
    """Change some of the names; the others stay. An empty value clears one."""
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise BadInput(f"no setting {unknown[0]!r}; the settings are {', '.join(FIELDS)}")
    with atomic():
        require_role(acting, project, Role.ADMIN)
        identity = identity_of(project)
        before = {f: getattr(identity, f) for f in FIELDS}
        after = {**before, **{name: value.strip() for name, value in changes.items()}}
        _check(after)
        if after != before:
            for name, value in after.items():
                setattr(identity, name, value)
            try:
                identity.full_clean()
            except ValidationError as err:
                name, [message, *_] = next(iter(err.message_dict.items()))
                raise BadInput(f"{name}: {message}") from None
            identity.save()
            record(
                acting,
                AuditEvent.PACKAGE_IDENTITY_CHANGED,
                project=project,
                before=before,
                after=after,
            )
    return identity
