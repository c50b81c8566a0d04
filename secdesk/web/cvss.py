"""The CVSS 3.1 calculator of the triage form: one select per base metric, and
the vector they compose. The server composes it, so the form works without
JavaScript; static/secdesk/cvss.js shows the same vector and its score live."""

from secdesk.errors import BadInput

# (metric, label, ((value, label), …)) in the order of the specification's vector.
BASE_METRICS = (
    (
        "AV",
        "Attack vector",
        (("N", "Network"), ("A", "Adjacent"), ("L", "Local"), ("P", "Physical")),
    ),
    ("AC", "Attack complexity", (("L", "Low"), ("H", "High"))),
    ("PR", "Privileges required", (("N", "None"), ("L", "Low"), ("H", "High"))),
    ("UI", "User interaction", (("N", "None"), ("R", "Required"))),
    ("S", "Scope", (("U", "Unchanged"), ("C", "Changed"))),
    ("C", "Confidentiality", (("N", "None"), ("L", "Low"), ("H", "High"))),
    ("I", "Integrity", (("N", "None"), ("L", "Low"), ("H", "High"))),
    ("A", "Availability", (("N", "None"), ("L", "Low"), ("H", "High"))),
)
PREFIX = "CVSS:3.1/"


def field_name(metric: str) -> str:
    return f"cvss3_{metric}"


def compose(data) -> str:
    """The vector the selects in `data` compose; "" when none is chosen."""
    chosen = {metric: data.get(field_name(metric), "") for metric, _, _ in BASE_METRICS}
    if not any(chosen.values()):
        return ""
    missing = [label for metric, label, _ in BASE_METRICS if not chosen[metric]]
    if missing:
        raise BadInput(f"CVSS 3.1: choose every base metric; missing: {', '.join(missing)}")
    for metric, label, options in BASE_METRICS:
        if chosen[metric] not in {value for value, _ in options}:
            raise BadInput(f"CVSS 3.1: {chosen[metric]!r} is not a value of {label}")
    return PREFIX + "/".join(f"{metric}:{chosen[metric]}" for metric, _, _ in BASE_METRICS)


def decompose(vector: str) -> dict[str, str]:
    """The base metrics of a recorded vector, to preselect the form with."""
    if not vector.startswith(PREFIX):
        return {}
    parts = dict(part.split(":", 1) for part in vector[len(PREFIX) :].split("/") if ":" in part)
    return {metric: parts.get(metric, "") for metric, _, _ in BASE_METRICS}
