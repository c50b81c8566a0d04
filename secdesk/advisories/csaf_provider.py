"""This site as a CSAF provider (CSAF 2.0 section 7): what a CSAF aggregator or a
scanner fetches to find every advisory and check that it arrived whole.

- /.well-known/csaf/provider-metadata.json: who publishes, and where the feed is;
- /.well-known/csaf/white/csaf-feed-tlp-white.json: the ROLIE feed, one entry
  per published advisory (all are TLP:WHITE);
- /.well-known/csaf/white/<year>/<file name>: each advisory under its canonical
  name (see formats/csaf.py), with its .sha256 and .sha512 beside it.

A detached OpenPGP signature (.asc) belongs beside the hashes too, made over
exactly the bytes of `serialize`, linked from the feed entry as rel="signature",
and the key listed in pgp_keys of the provider metadata. That waits for the
project signing key; until then the files are only hashed.

The documents come from the stored publications, each as its latest revision
says, so every copy (these routes, /advisories/<id>.csaf.json and the files
written at publication or amendment) is the same bytes and the hashes hold for
each. A revision keeps its document's initial release date, and so its place.
"""

import hashlib
import json

from django.conf import settings
from django.utils import timezone

from secdesk.advisories.formats.csaf import TLP_FOLDER, canonical_url, directory_path
from secdesk.advisories.policy_docs import site_publisher
from secdesk.advisories.published import finished, part_of
from secdesk.errors import NotFound
from secdesk.lib.dates import stamp

SCHEMA_URL = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
FEED_NAME = f"csaf-feed-tlp-{TLP_FOLDER}.json"
HASHES = ("sha256", "sha512")


def base_url() -> str:
    return f"{settings.SITE_URL}/.well-known/csaf"


def feed_url() -> str:
    return f"{base_url()}/{TLP_FOLDER}/{FEED_NAME}"


def serialize(document: dict) -> bytes:
    """The one byte form of a CSAF document: keys sorted (a database may not
    keep their order), UTF-8, one trailing newline."""
    return (json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def hash_file(content: bytes, algorithm: str, name: str) -> str:
    """What `sha256sum` or `sha512sum` print, so either checks the file."""
    return f"{hashlib.new(algorithm, content).hexdigest()}  {name}\n"


def _tracking(document: dict) -> dict:
    return document["document"]["tracking"]


def path_of(document: dict) -> str:
    tracking = _tracking(document)
    return directory_path(tracking["id"], tracking["initial_release_date"])


def document_at(year: int, name: str) -> dict:
    """The published CSAF document filed under `year` as `name`.json."""
    path = f"{TLP_FOLDER}/{year}/{name}.json"
    for document in _documents():
        if path_of(document) == path:
            return document
    raise NotFound(f"no published CSAF document at {path}")


def _documents() -> list[dict]:
    """Every published CSAF document, newest first: the feed lists them all."""
    return part_of(finished(), "csaf")


def provider_metadata() -> dict:
    """Valid against the CSAF 2.0 provider metadata schema; role
    csaf_provider, the advisories distributed through the ROLIE feed."""
    documents = _documents()
    return {
        "canonical_url": f"{base_url()}/provider-metadata.json",
        "distributions": [
            {
                "rolie": {
                    "feeds": [
                        {
                            "summary": "All advisories (TLP:WHITE).",
                            "tlp_label": "WHITE",
                            "url": feed_url(),
                        }
                    ]
                }
            }
        ],
        "last_updated": _last_updated(documents),
        "list_on_CSAF_aggregators": True,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": True,
        "publisher": {
            "category": "vendor",
            "name": site_publisher(),
            "namespace": settings.SITE_URL,
        },
        "role": "csaf_provider",
    }


def _last_updated(documents: list[dict]) -> str:
    dates = [_tracking(d)["current_release_date"] for d in documents]
    return max(dates) if dates else stamp(timezone.now())


def feed() -> dict:
    """The ROLIE feed (RFC 8322, in the JSON form CSAF uses): one entry per
    advisory, newest first, each linking its document and its hashes."""
    documents = _documents()
    return {
        "feed": {
            "id": f"{settings.SITE_URL}/csaf-feed-tlp-{TLP_FOLDER}",
            "title": f"CSAF advisories of {site_publisher()} (TLP:WHITE)",
            "link": [{"rel": "self", "href": feed_url()}],
            "category": [
                {"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}
            ],
            "updated": _last_updated(documents),
            "entry": [_entry(document) for document in documents],
        }
    }


def _entry(document: dict) -> dict:
    tracking = _tracking(document)
    url = canonical_url(tracking["id"], tracking["initial_release_date"])
    return {
        "id": tracking["id"],
        "title": document["document"]["title"],
        "link": [
            {"rel": "self", "href": url},
            *({"rel": "hash", "href": f"{url}.{algorithm}"} for algorithm in HASHES),
        ],
        "published": tracking["initial_release_date"],
        "updated": tracking["current_release_date"],
        "summary": {"content": document["document"]["title"]},
        "content": {"type": "application/json", "src": url},
        "format": {"schema": SCHEMA_URL, "version": "2.0"},
    }
