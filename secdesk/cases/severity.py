"""CVSS 3.1 and 4.0 vectors, validated and scored by the `cvss` package."""

from decimal import Decimal

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError

from secdesk.errors import BadInput


def score_cvss3(vector: str) -> Decimal:
    vector = vector.strip()
    if not vector.startswith("CVSS:3.1/"):
        raise BadInput(f"malformed CVSS 3.1 vector {vector!r}: it must start with CVSS:3.1/")
    try:
        return Decimal(str(CVSS3(vector).base_score))
    except CVSSError as err:
        raise BadInput(f"malformed CVSS 3.1 vector {vector!r}: {err}") from None


def score_cvss4(vector: str) -> Decimal:
    vector = vector.strip()
    if not vector.startswith("CVSS:4.0/"):
        raise BadInput(f"malformed CVSS 4.0 vector {vector!r}: it must start with CVSS:4.0/")
    try:
        return Decimal(str(CVSS4(vector).base_score))
    except CVSSError as err:
        raise BadInput(f"malformed CVSS 4.0 vector {vector!r}: {err}") from None


def severity_name(score: Decimal | None) -> str:
    """The qualitative rating both CVSS versions share."""
    if score is None:
        return "unrated"
    if score == 0:
        return "none"
    if score < 4:
        return "low"
    if score < 7:
        return "medium"
    if score < 9:
        return "high"
    return "critical"
