"""Every route the application serves, with the access decision of its view —
what the access-matrix test walks."""

import inspect
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

ACCESS_DECISIONS = ("public", "login", "member", "api")


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    access: str | None


def _api_access(name: str, callback) -> str | None:
    """Views of our REST API decide access through its token auth: every operation
    must have it. Its OpenAPI document and its root (which serves nothing) are public."""
    if name in ("openapi-json", "api-root"):
        return "public"
    path_view = inspect.getclosurevars(callback).nonlocals.get("self")
    operations = getattr(path_view, "operations", None)
    if operations and all(op.auth_callbacks for op in operations):
        return "api"
    return None


def routes(urlconf=None) -> list[Route]:
    found = []

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                ns = entry.namespace or namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                callback = entry.callback
                access = getattr(callback, "access", None)
                if access is None and namespace == "api":
                    access = _api_access(entry.name, callback)
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                found.append(Route(name, prefix + str(entry.pattern), access))

    walk(get_resolver(urlconf).url_patterns, "", None)
    return found


def undecided(urlconf=None) -> list[Route]:
    return [r for r in routes(urlconf) if r.access not in ACCESS_DECISIONS]
