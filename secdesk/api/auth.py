from ninja.security import HttpBearer

from secdesk.teams import tokens


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
