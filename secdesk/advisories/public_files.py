"""The published advisories as files under DATA_DIR/public, for a static web
server or a mirror. The app serves the same documents from the database, so
several hosts need not share this directory."""

import json
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from secdesk.advisories import csaf_provider
from secdesk.advisories.formats.cve_record import full_record
from secdesk.lib import private


def public_dir() -> Path:
    return Path(settings.DATA_DIR) / "public" / "advisories"


def csaf_dir() -> Path:
    return Path(settings.DATA_DIR) / "public" / ".well-known" / "csaf"


def _write(path: Path, content: str | bytes) -> Path:
    # Write beside and rename: a reader never sees half a file. Private, as
    # everything in the data directory (mkstemp makes the file 0600).
    private.make_dir(path.parent)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(fd, "wb") as f:
        f.write(content.encode() if isinstance(content, str) else content)
    os.replace(partial, path)
    return path


def _json(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write(project, documents: dict) -> list[Path]:
    """Write one advisory's files; writing them again writes the same bytes."""
    advisory_id = documents["facts"]["id"]
    base = public_dir()
    written = [
        _write(base / f"{advisory_id}.txt", documents["text"]),
        _write(
            base / f"{advisory_id}.html",
            render_to_string("advisories/advisory.html", {"facts": documents["facts"]}),
        ),
        _write(base / f"{advisory_id}.osv.json", _json(documents["osv"])),
        _write(base / f"{advisory_id}.csaf.json", csaf_provider.serialize(documents["csaf"])),
        *_write_csaf(documents["csaf"]),
    ]
    for cve_id, container in documents["cve"].items():
        written.append(_write(base / advisory_id / f"{cve_id}.json", _json(container)))
        record = full_record(cve_id, container, documents["facts"])
        written.append(_write(base / advisory_id / f"{cve_id}.record.json", _json(record)))
    return written


def _write_csaf(document: dict) -> list[Path]:
    """The CSAF document under its canonical name, with its hashes (see
    csaf_provider.py); the provider metadata and feed are served by the app."""
    content = csaf_provider.serialize(document)
    path = csaf_dir() / csaf_provider.path_of(document)
    return [
        _write(path, content),
        *(
            _write(
                path.with_name(f"{path.name}.{algorithm}"),
                csaf_provider.hash_file(content, algorithm, path.name),
            )
            for algorithm in csaf_provider.HASHES
        ),
    ]
