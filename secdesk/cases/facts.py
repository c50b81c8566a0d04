"""Case facts: one-way flags, each kept as the time it became true.

Setting a flag that is already set is refused, so every change is a real one.
The one way back is "fix found faulty", which clears fix_ready (see actions).
"""

from secdesk.errors import BadInput, Refused

FACTS = {
    "vendor-aware": "vendor_aware_at",
    "fix-ready": "fix_ready_at",
    "fix-published": "fix_published_at",
    "public": "public_at",
    "exploit-public": "exploit_public_at",
    "attacks-observed": "attacks_observed_at",
}

# Facts that end an embargo when they become true.
ENDS_EMBARGO = ("public", "exploit-public", "attacks-observed")


def field_of(fact: str) -> str:
    try:
        return FACTS[fact]
    except KeyError:
        raise BadInput(f"unknown fact {fact!r}; known: {', '.join(FACTS)}") from None


def set_fact(case, fact: str, when) -> None:
    field = field_of(fact)
    if getattr(case, field) is not None:
        raise Refused(f"case facts: {fact} is already set, and facts are one-way")
    setattr(case, field, when)


def facts_of(case) -> dict[str, object]:
    return {name: getattr(case, field) for name, field in FACTS.items()}
