"""A stand-in for CVE Services on loopback: the endpoints secdesk calls, with the
request shapes, headers and answers of the CVE Services API (cve-services'
cve-id and cve controllers), the posted CNA container validated against the
cnaPublishedContainer 5.1.1 schema as the real service does."""

import json
import re
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from jsonschema import Draft7Validator

from secdesk.advisories.validation import CVE_CNA_SCHEMA

CNA_SCHEMA = Draft7Validator(json.loads(CVE_CNA_SCHEMA.read_text()))


class FakeCveServices:
    def __init__(self, org="example-cna", user="cna@example.org", key="s3cr3t-api-key"):
        self.org, self.user, self.key = org, user, key
        self.org_uuid = str(uuid.uuid4())
        self.ids: dict[str, dict] = {}
        self.records: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.next_id = 9000
        self.server = ThreadingHTTPServer(
            ("127.0.0.1", 0), type("Handler", (_Handler,), {"fake": self})
        )
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def reserve_directly(self, cve_id: str):
        self.ids[cve_id] = self._id_entry(cve_id)

    def _id_entry(self, cve_id):
        now = datetime.now(UTC).isoformat()
        return {
            "cve_id": cve_id,
            "cve_year": cve_id.split("-")[1],
            "owning_cna": self.org,
            "requested_by": {"cna": self.org, "user": self.user},
            "reserved": now,
            "state": "RESERVED",
            "time": {"created": now, "modified": now},
        }


class _Handler(BaseHTTPRequestHandler):
    """The service's HTTP side; `fake` (set on a subclass per server) holds its state."""

    fake: FakeCveServices

    def log_message(self, *args):
        pass

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self, method):
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.fake.requests.append((method, parts.path, {"query": query, "body": body}))
        if (
            self.headers.get("CVE-API-ORG") != self.fake.org
            or self.headers.get("CVE-API-USER") != self.fake.user
            or self.headers.get("CVE-API-KEY") != self.fake.key
        ):
            return self._answer(401, {"error": "UNAUTHORIZED", "message": "Unauthorized"})
        path = parts.path
        if method == "GET" and path == f"/api/org/{self.fake.org}":
            return self._answer(
                200,
                {"short_name": self.fake.org, "name": self.fake.org, "UUID": self.fake.org_uuid},
            )
        if method == "POST" and path == "/api/cve-id":
            return self._reserve(query)
        if m := re.fullmatch(r"/api/cve-id/(CVE-\d{4}-\d+)", path):
            entry = self.fake.ids.get(m[1])
            if method == "GET" and entry:
                return self._answer(200, entry)
            return self._answer(404, {"error": "NOT_FOUND", "message": f"{m[1]} not found"})
        if m := re.fullmatch(r"/api/cve/(CVE-\d{4}-\d+)/(cna|reject)", path):
            return self._record(method, m[1], m[2], body)
        return self._answer(404, {"error": "NOT_FOUND", "message": "no such endpoint"})

    def _reserve(self, query):
        if query.get("short_name") != self.fake.org:
            return self._answer(
                403,
                {
                    "error": "CNA_CANNOT_RESERVE_FOR_OTHER",
                    "message": "CNA cannot reserve for other CNAs",
                },
            )
        for key, error in (("cve_year", "NO_YEAR"), ("amount", "NO_AMOUNT")):
            if not query.get(key):
                return self._answer(400, {"error": error, "message": f"{key} is required"})
        amount = int(query["amount"])
        if amount > 1 and not query.get("batch_type"):
            return self._answer(
                400, {"error": "NO_BATCH_TYPE", "message": "batch_type is required"}
            )
        entries = []
        for _ in range(amount):
            self.fake.next_id += 1
            cve_id = f"CVE-{query['cve_year']}-{self.fake.next_id}"
            self.fake.ids[cve_id] = self.fake._id_entry(cve_id)
            entries.append(self.fake.ids[cve_id])
        return self._answer(200, {"cve_ids": entries, "meta": {"remaining_quota": 100}})

    def _record(self, method, cve_id, kind, body):
        entry = self.fake.ids.get(cve_id)
        if entry is None:
            return self._answer(
                404, {"error": "CVE_ID_NOT_FOUND", "message": f"{cve_id} not found"}
            )
        container = (body or {}).get("cnaContainer")
        if kind == "cna":
            errors = [e.message for e in CNA_SCHEMA.iter_errors(container or {})]
            if container is None or errors:
                return self._answer(
                    400,
                    {
                        "error": "BAD_INPUT",
                        "message": "Parameters were invalid",
                        "details": errors,
                    },
                )
        exists = cve_id in self.fake.records
        if method == "POST" and exists:
            return self._answer(
                403,
                {"error": "CVE_RECORD_EXISTS", "message": "The cve record already exists."},
            )
        if method == "PUT" and not exists:
            return self._answer(
                403,
                {"error": "CVE_RECORD_DNE", "message": "The cve record does not exist."},
            )
        entry["state"] = "PUBLISHED" if kind == "cna" else "REJECTED"
        # The service writes the submitting CNA's own provider metadata,
        # and the times: published once, updated at each submission.
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        container = {
            **container,
            "providerMetadata": {
                "orgId": self.fake.org_uuid,
                "shortName": self.fake.org,
                "dateUpdated": now,
            },
        }
        earlier = self.fake.records.get(cve_id, {}).get("cveMetadata", {})
        record = {
            "dataType": "CVE_RECORD",
            "dataVersion": "5.1",
            "cveMetadata": {
                "cveId": cve_id,
                "state": entry["state"],
                "assignerOrgId": self.fake.org_uuid,
                "datePublished": earlier.get("datePublished", now),
                "dateUpdated": now,
            },
            "containers": {"cna": container},
        }
        self.fake.records[cve_id] = record
        verb = "updated" if method == "PUT" else "created"
        return self._answer(
            200, {"message": f"{cve_id} record was successfully {verb}.", verb: record}
        )

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def do_PUT(self):
        self._route("PUT")
