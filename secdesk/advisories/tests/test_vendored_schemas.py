"""The schemas the advisories are validated against are the official files,
byte for byte, with their provenance beside them."""

from pathlib import Path

import pytest

from secdesk.advisories.validation import SCHEMAS

SHARED = Path(__file__).resolve().parents[4] / "shared" / "schemas"


@pytest.mark.skipif(not SHARED.is_dir(), reason="no shared schema folder beside the repository")
@pytest.mark.parametrize(
    "name",
    [
        "cve/CVE_JSON_cnaPublishedContainer_5.1.1.json",
        "cve/CVE_JSON_bundled_5.1.1.json",
        "osv/schema.json",
    ],
)
def test_vendored_schema_is_byte_identical_to_the_shared_copy(name):
    assert (SCHEMAS / name).read_bytes() == (SHARED / name).read_bytes()


def test_vendored_schemas_keep_their_provenance():
    provenance = (SCHEMAS / "PROVENANCE.md").read_text()
    assert "cvelib @ f056460de1b6" in provenance
    assert "ossf/osv-schema @ 51b8156b69b9" in provenance
