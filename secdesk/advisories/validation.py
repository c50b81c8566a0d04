"""Every document is checked against its official schema (vendored in schemas/,
with their provenance) before anything is published."""

import json
from functools import cache
from importlib.resources import files
from pathlib import Path

from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from secdesk.advisories.formats.cve_record import full_record

SCHEMAS = Path(__file__).parent / "schemas"
CVE_CNA_SCHEMA = SCHEMAS / "cve" / "CVE_JSON_cnaPublishedContainer_5.1.1.json"
CVE_RECORD_SCHEMA = SCHEMAS / "cve" / "CVE_JSON_bundled_5.1.1.json"
OSV_SCHEMA = SCHEMAS / "osv" / "schema.json"
CSAF_PROVIDER_SCHEMA = SCHEMAS / "csaf" / "provider_json_schema.json"
# Where the provider schema finds the CSAF schema, which the csaf package ships.
CSAF_SCHEMA_URL = (
    "https://raw.githubusercontent.com/oasis-tcs/csaf/master/csaf_2.0/json_schema/"
    "csaf_json_schema.json"
)


@cache
def _validator(path: Path, cls):
    return cls(json.loads(path.read_text()), format_checker=FormatChecker())


def _problems(validator, document: dict, what: str) -> list[str]:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{what} /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def cve_problems(container: dict) -> list[str]:
    return _problems(_validator(CVE_CNA_SCHEMA, Draft7Validator), container, "CVE JSON")


def cve_record_problems(cve_record: dict) -> list[str]:
    """The full record (cveMetadata and containers) against the bundled schema."""
    return _problems(_validator(CVE_RECORD_SCHEMA, Draft7Validator), cve_record, "CVE record")


def osv_problems(document: dict) -> list[str]:
    return _problems(_validator(OSV_SCHEMA, Draft202012Validator), document, "OSV")


def csaf_problems(document: dict) -> list[str]:
    """The failures of the CSAF 2.0 JSON schema and mandatory tests (6.1.x)."""
    # Here, not at the top: the csaf package takes 2 s to import.
    from csaf.csaf.v20 import validate

    report = validate(document, preset="mandatory")
    return [
        f"CSAF {result.id} {result.title}: {error.instance_path} {error.message}"
        for result in report.results
        if not result.passed and not result.skipped
        for error in result.errors or ()
    ] or ([] if report.overall_valid else ["CSAF: not valid"])


@cache
def _csaf_provider_validator() -> Draft202012Validator:
    csaf_schema = json.loads((files("csaf") / "csaf" / "v20" / "schema" / "csaf.json").read_bytes())
    registry = Registry().with_resource(CSAF_SCHEMA_URL, Resource.from_contents(csaf_schema))
    return Draft202012Validator(
        json.loads(CSAF_PROVIDER_SCHEMA.read_text()),
        registry=registry,
        format_checker=FormatChecker(),
    )


def csaf_provider_problems(metadata: dict) -> list[str]:
    """provider-metadata.json against the CSAF 2.0 provider metadata schema."""
    return _problems(_csaf_provider_validator(), metadata, "CSAF provider metadata")


def document_problems(documents: dict) -> list[str]:
    problems = []
    for cve_id, container in documents["cve"].items():
        problems += cve_problems(container)
        problems += cve_record_problems(full_record(cve_id, container, documents["facts"]))
    problems += osv_problems(documents["osv"])
    problems += csaf_problems(documents["csaf"])
    return problems
