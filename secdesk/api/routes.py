"""The REST API: the same actions and the same access decisions as the web and
the CLI (secdesk.teams.access). Its OpenAPI document is at /api/v1/openapi.json."""

from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from secdesk.api.auth import TokenAuth
from secdesk.audit.log import record_view
from secdesk.cases.serialize import case_detail, case_summary
from secdesk.errors import NotAllowed, NotFound, Refused
from secdesk.teams.access import visible_cases

api = NinjaAPI(
    title="secdesk",
    version="1",
    description="The security response desk's API. Every call acts as the token's person.",
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url=None,
)


@api.exception_handler(Refused)
def refused(request, err: Refused):
    status = 404 if isinstance(err, NotFound) else 403 if isinstance(err, NotAllowed) else 400
    return api.create_response(request, {"detail": err.message, "rule": err.rule}, status=status)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, err):
    return api.create_response(
        request,
        {"detail": "a valid API token is needed: Authorization: Bearer sdk_…"},
        status=401,
    )


@api.get("/me", summary="Who the token acts as")
def me(request):
    person = request.person
    return {
        "email": person.email,
        "name": person.name,
        "token": request.token.prefix,
        "scope": request.token.scope,
    }


@api.get("/cases", summary="The cases the token's person may see")
def cases(request, state: str | None = None, project: str | None = None):
    found = visible_cases(request.person).select_related("project", "embargo")
    if state:
        found = found.filter(state=state)
    if project:
        found = found.filter(project__slug=project)
    return [case_summary(case) for case in found]


@api.get("/cases/{case_id}", summary="Everything about one case")
def case(request, case_id: int):
    found = visible_cases(request.person).select_related("project__policy").filter(pk=case_id)
    case = found.first()
    if case is None:
        raise NotFound(f"no case #{case_id} that you may see")
    record_view(request.person, case, via="api")
    return case_detail(case)
