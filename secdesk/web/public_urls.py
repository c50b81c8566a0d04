from django.urls import path, register_converter

from secdesk.web import public_pages


class AdvisoryId:
    regex = r"[A-Za-z0-9][A-Za-z0-9_-]*"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class CveIdConverter(AdvisoryId):
    regex = r"CVE-\d{4}-\d{4,19}"


class CsafFileName(AdvisoryId):
    regex = r"[+\-a-z0-9_]+"


register_converter(AdvisoryId, "advisory")
register_converter(CsafFileName, "csaf")
register_converter(CveIdConverter, "cve")

urlpatterns = [
    path("advisories/", public_pages.index, name="advisories"),
    path("advisories/feed.atom", public_pages.feed, name="advisories_feed"),
    path("advisories/<advisory:advisory_id>/", public_pages.advisory, name="advisory"),
    path("advisories/<advisory:advisory_id>.txt", public_pages.announcement, name="advisory_text"),
    path("advisories/<advisory:advisory_id>.osv.json", public_pages.osv, name="advisory_osv"),
    path("advisories/<advisory:advisory_id>.csaf.json", public_pages.csaf, name="advisory_csaf"),
    path(
        "advisories/<advisory:advisory_id>/<cve:cve_id>.json",
        public_pages.cve_record,
        name="advisory_cve",
    ),
    path(
        "advisories/<advisory:advisory_id>/<cve:cve_id>.record.json",
        public_pages.full_cve_record,
        name="advisory_cve_record",
    ),
    path("security/", public_pages.security_index, name="security"),
    path("security/<slug:slug>/", public_pages.security_page, name="security_page"),
    path("security/<slug:slug>/security.txt", public_pages.security_txt, name="security_txt"),
    path(
        "security/<slug:slug>/security-issues.md",
        public_pages.security_issues,
        name="security_issues",
    ),
    path("security/<slug:slug>/openpgp.asc", public_pages.openpgp_key, name="security_openpgp_key"),
    path(
        ".well-known/csaf/provider-metadata.json",
        public_pages.csaf_provider_metadata,
        name="csaf_provider_metadata",
    ),
    path(
        ".well-known/csaf/white/csaf-feed-tlp-white.json", public_pages.csaf_feed, name="csaf_feed"
    ),
    path(
        ".well-known/csaf/white/<int:year>/<csaf:name>.json",
        public_pages.csaf_file,
        name="csaf_file",
    ),
    path(
        ".well-known/csaf/white/<int:year>/<csaf:name>.json.sha256",
        public_pages.csaf_hash,
        {"algorithm": "sha256"},
        name="csaf_sha256",
    ),
    path(
        ".well-known/csaf/white/<int:year>/<csaf:name>.json.sha512",
        public_pages.csaf_hash,
        {"algorithm": "sha512"},
        name="csaf_sha512",
    ),
    path(
        ".well-known/security.txt",
        public_pages.well_known_security_txt,
        name="well_known_security_txt",
    ),
]
