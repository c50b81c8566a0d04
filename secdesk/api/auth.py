from ninja.errors import HttpError
from ninja.security import HttpBearer

from secdesk.teams import tokens
from secdesk.teams.models import ApiToken


class TokenAuth(HttpBearer):
    """`Authorization: Bearer sdk_…`: a personal API token. The request then acts
    as the token's person, with exactly that person's access."""

    def authenticate(self, request, token):
        found = tokens.authenticate(token)
        if found is None:
            return None
        request.person = found.person
        request.token = found
        return found


def require_write(request) -> None:
    """Acting needs a write-scoped token; reading is all a read token does."""
    if request.token.scope != ApiToken.Scope.WRITE:
        raise HttpError(403, "this token may only read: create one with the write scope to act")
