"""CVE Services, through cvelib: reserve ids into the pool, publish a record at
publication, reject an unused id.

Network calls happen outside the database transaction that records their
outcome. A failure is one line naming the operation and the service's answer;
the API key is never part of it (cvelib sends it only as a header).
"""

import json

import requests
from cvelib.cve_api import CveApi, CveRecordValidationError
from django.utils import timezone

from secdesk.advisories.actions import clean_cve_id, do_import_cve_ids, mark_cve_rejected
from secdesk.advisories.formats.cve_record import provider_org_id
from secdesk.advisories.models import CveId, CveServicesAccount, CveState
from secdesk.audit.log import record
from secdesk.audit.models import AuditEvent
from secdesk.cases.actions.common import atomic
from secdesk.errors import BadInput, NotFound, Refused
from secdesk.teams.access import require_role
from secdesk.teams.models import Person, Project, Role


class CveServicesFailed(Refused):
    rule = "CVE Services"


def account_of(project: Project) -> CveServicesAccount | None:
    return CveServicesAccount.objects.filter(project=project).first()


def _api(account: CveServicesAccount) -> CveApi:
    return CveApi(username=account.user, org=account.org, api_key=account.api_key, url=account.url)


def _call(what: str, call):
    try:
        return call()
    except requests.HTTPError as err:
        raise CveServicesFailed(f"CVE Services: {what} failed: {_answer(err.response)}") from None
    except requests.RequestException as err:
        raise CveServicesFailed(
            f"CVE Services: {what} failed: cannot reach the service ({type(err).__name__})"
        ) from None
    except CveRecordValidationError as err:
        raise CveServicesFailed(
            f"CVE Services: {what}: the record does not validate: {err.errors[0].message}"
        ) from None


def _answer(response) -> str:
    try:
        body = response.json()
        message = body.get("message") or body.get("error") or json.dumps(body)[:200]
    except ValueError:
        message = response.reason
    return f"{response.status_code} {message}"


def do_set_cve_services(
    project: Project, *, org: str, user: str, api_key: str, url: str = "", acting: Person
) -> CveServicesAccount:
    """Set the project's CVE Services account (admins)."""
    if not (org.strip() and user.strip() and api_key.strip()):
        raise BadInput("CVE Services: give the CNA's short name, the user and the API key")
    with atomic():
        require_role(acting, project, Role.ADMIN)
        account = account_of(project) or CveServicesAccount(project=project)
        account.org, account.user, account.api_key = org.strip(), user.strip(), api_key.strip()
        account.url = url.strip() or CveServicesAccount._meta.get_field("url").default
        account.org_uuid = ""
        account.full_clean()
        account.save()
        # Never the key: the audit trail is read by every member.
        record(
            acting,
            AuditEvent.CVE_SERVICES_CONFIGURED,
            project=project,
            org=account.org,
            user=account.user,
            url=account.url,
        )
    return account


def _account(project: Project) -> CveServicesAccount:
    account = account_of(project)
    if account is None:
        raise NotFound(
            f"CVE Services: {project.slug} has no account; an admin sets one with "
            "secdesk cve services set"
        )
    return account


def do_reserve_cve_ids(
    project: Project, *, count: int = 1, year: int | None = None, acting: Person
) -> list[CveId]:
    """Reserve ids from CVE Services and put them in the project's pool."""
    if not 1 <= count <= 10:
        raise BadInput("CVE Services: reserve between 1 and 10 ids at a time")
    require_role(acting, project)
    account = _account(project)
    year = year or timezone.now().year
    answer = _call(
        f"reserving {count} id(s)",
        lambda: _api(account).reserve(count, random=False, year=str(year)),
    )
    ids = [entry["cve_id"] for entry in answer.get("cve_ids", [])]
    if not ids:
        raise CveServicesFailed("CVE Services: the reservation returned no ids")
    return do_import_cve_ids(project, ids, acting=acting, from_cve_services=True)


def _api_as_cna(account: CveServicesAccount) -> CveApi:
    api = _api(account)
    if not account.org_uuid:
        org = _call("looking up the CNA", api.show_org)
        account.org_uuid = org["UUID"]
        CveServicesAccount.objects.filter(pk=account.pk).update(org_uuid=account.org_uuid)
    return api


def _as_cna(account: CveServicesAccount, container: dict) -> dict:
    metadata = {**container["providerMetadata"], "orgId": provider_org_id(account.project, account)}
    return {**container, "providerMetadata": metadata}


def publish_records(account: CveServicesAccount, containers: dict[str, dict]) -> list[str]:
    """Publish each CVE id's CNA container; a record that exists already (a
    publication resumed after this call succeeded) is updated instead."""
    return _send_records(account, containers, "publish", CveApi.Errors.RECORD_EXISTS)


def update_records(account: CveServicesAccount, containers: dict[str, dict]) -> list[str]:
    """Send each CVE id's revised CNA container (PUT, as for any published
    record); a record the service does not hold yet, as when the project had no
    account at publication, is published instead."""
    return _send_records(account, containers, "update", CveApi.Errors.RECORD_DOES_NOT_EXIST)


def _send_records(account, containers: dict[str, dict], first: str, otherwise: str) -> list[str]:
    """Send each container by `first` ("publish" or "update"), and the other
    way when the service answers with the error `otherwise`; a failure with no
    answer (a dropped connection) is tried again the same way."""
    api = _api_as_cna(account)
    ways = {"publish": ("publishing", api.publish), "update": ("updating", api.update_published)}
    doing, send = ways[first]
    other_doing, other = ways["update" if first == "publish" else "publish"]
    sent = []
    for cve_id, container in containers.items():
        container = _as_cna(account, container)
        try:
            send(cve_id, container)
        except requests.HTTPError as err:
            if not _error_is(err.response, otherwise):
                raise CveServicesFailed(
                    f"CVE Services: {doing} {cve_id} failed: {_answer(err.response)}"
                ) from None
            _call(f"{other_doing} {cve_id}", lambda c=cve_id, j=container: other(c, j))
        except (requests.RequestException, CveRecordValidationError):
            _call(f"{doing} {cve_id}", lambda c=cve_id, j=container: send(c, j))
        sent.append(cve_id)
    return sent


def _error_is(response, error: str) -> bool:
    try:
        return response.status_code == 403 and response.json().get("error") == error
    except ValueError:
        return False


def do_reject_cve(cve_id: str, *, reason: str, acting: Person) -> CveId:
    """Reject an unused id of the pool, at CVE Services too when it came from there."""
    cve_id = clean_cve_id(cve_id)
    if not reason.strip():
        raise BadInput("CVE: say why the id is rejected")
    cve = CveId.objects.filter(cve_id=cve_id).select_related("project").first()
    if cve is None:
        raise NotFound(f"CVE: no pool holds {cve_id}")
    require_role(acting, cve.project)
    if cve.state != CveState.RESERVED:
        raise Refused(f"CVE: {cve_id} is {cve.state}; only an unused id in the pool is rejected")
    account = account_of(cve.project)
    if account is not None and cve.from_cve_services:
        container = {
            "providerMetadata": {"orgId": provider_org_id(cve.project, account)},
            "rejectedReasons": [{"lang": "en", "value": reason.strip()}],
        }
        _call(f"rejecting {cve_id}", lambda: _api(account).reject(cve_id, container))
    return mark_cve_rejected(cve_id, reason=reason.strip(), acting=acting)
