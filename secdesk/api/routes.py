"""The REST API: every team action the CLI has, with the same access decisions
(secdesk.teams.access, checked inside the actions) and the same one-line
refusals, as JSON. Its OpenAPI document is at /api/v1/openapi.json.

Every call acts as the token's person; a read-scoped token may only read.
"""

from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from secdesk.api import cases, embargo, keys, moderation, team
from secdesk.api.auth import TokenAuth
from secdesk.api.schemas import ERRORS, Me
from secdesk.errors import NotAllowed, NotFound, Refused

api = NinjaAPI(
    title="secdesk",
    version="1",
    description="The security response desk's API. Every call acts as the token's person, "
    "with exactly their access. Errors are JSON: {detail, rule}.",
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url=None,
)


def _error(request, status: int, detail: str, rule: str):
    return api.create_response(request, {"detail": detail, "rule": rule}, status=status)


@api.exception_handler(Refused)
def refused(request, err: Refused):
    status = 404 if isinstance(err, NotFound) else 403 if isinstance(err, NotAllowed) else 400
    return _error(request, status, err.message, err.rule)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, err):
    return _error(
        request, 401, "a valid API token is needed: Authorization: Bearer sdk_…", "authentication"
    )


@api.exception_handler(ValidationError)
def invalid(request, err: ValidationError):
    problems = "; ".join(
        f"{'.'.join(str(part) for part in e.get('loc', [])[1:]) or 'body'}: {e.get('msg')}"
        for e in err.errors
    )
    return _error(request, 400, f"bad input: {problems}", "bad input")


@api.exception_handler(HttpError)
def http_error(request, err: HttpError):
    return _error(request, err.status_code, str(err), "request")


@api.get("/me", response={200: Me, **ERRORS}, summary="Who the token acts as")
def me(request):
    person = request.person
    return {
        "email": person.email,
        "name": person.name,
        "token": request.token.prefix,
        "scope": request.token.scope,
    }


api.add_router("/cases", cases.router)
api.add_router("/cases", embargo.router)
api.add_router("/projects", team.router)
api.add_router("/moderation", moderation.router)
api.add_router("/me", keys.router)
