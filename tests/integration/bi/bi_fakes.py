"""Local HTTP fakes of Tableau Server's REST API, the Power BI push datasets API and a webhook receiver.

They implement the documented behaviour the clients depend on (and the limits they must respect), record what
arrived, and run on 127.0.0.1 in a thread. Tests (and bench/bi_bench.py) compare what arrived with the marts.
"""

from __future__ import annotations

import json
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections import defaultdict, deque
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from chordme_bi.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

NS = "http://tableau.com/api"


def parse_multipart(body: bytes, content_type: str) -> list[tuple[dict[str, str], bytes]]:
    """Parts of a multipart body as (headers, bytes); binary-safe (no email-module line-ending rewriting)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    assert match, f"no boundary in {content_type!r}"
    delimiter = b"--" + match.group(1).encode()
    parts = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode().split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        parts.append((headers, content.removesuffix(b"\r\n")))
    return parts


class _Server:
    def __init__(self, handler_cls):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_cls)
        self.httpd.daemon_threads = True
        self.httpd.fake = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output clean
        pass

    @property
    def fake(self):
        return self.server.fake

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status: int, body: bytes = b"", content_type: str = "application/xml", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


# --- Tableau -------------------------------------------------------------------------------------------------

def _ts(inner: str) -> bytes:
    return f"<?xml version='1.0' encoding='UTF-8'?><tsResponse xmlns=\"{NS}\">{inner}</tsResponse>".encode()


class _TableauHandler(_Handler):
    def _route(self, method: str):
        fake: FakeTableau = self.fake
        url = urlparse(self.path)
        query = parse_qs(url.query)
        body = self._body()
        fake.requests.append((method, self.path))
        m = re.fullmatch(r"/api/([\d.]+)/(.*)", url.path)
        if not m:
            return self._send(404, _ts('<error code="404000"><summary>Not found</summary></error>'))
        rest = m.group(2)
        if method == "GET" and rest.lower() == "serverinfo":  # TSC asks for serverInfo
            return self._send(200, _ts('<serverInfo><productVersion build="20241.24.0">2024.1.0</productVersion>'
                                       f'<restApiVersion>{fake.api_version}</restApiVersion></serverInfo>'))
        if method == "POST" and rest == "auth/signin":
            creds = ET.fromstring(body).find("credentials")
            site = creds.find("site").get("contentUrl", "")
            if (creds.get("personalAccessTokenName"), creds.get("personalAccessTokenSecret")) != fake.token or site != fake.site:
                return self._send(401, _ts('<error code="401001"><summary>Signin Error</summary>'
                                           '<detail>Error signing in to Tableau Server</detail></error>'))
            return self._send(200, _ts(f'<credentials token="{fake.auth_token}"><site id="{fake.site_id}" '
                                       f'contentUrl="{site}"/><user id="user-1"/></credentials>'))
        if self.headers.get("X-Tableau-Auth") != fake.auth_token:
            return self._send(401, _ts('<error code="401002"><summary>Unauthorized</summary></error>'))
        if method == "POST" and rest == "auth/signout":
            return self._send(204)
        prefix = f"sites/{fake.site_id}/"
        if not rest.startswith(prefix):
            return self._send(404, _ts('<error code="404000"><summary>Site not found</summary></error>'))
        rest = rest[len(prefix):]
        if method == "GET" and rest == "projects":
            wanted = None
            for clause in query.get("filter", [""])[0].split(","):
                if clause.startswith("name:eq:"):
                    wanted = clause[len("name:eq:"):]
            names = [p for p in fake.projects if wanted is None or p == wanted]
            items = "".join(f'<project id="proj-{fake.projects.index(n)}" name="{n}"/>' for n in names)
            return self._send(200, _ts(f'<pagination pageNumber="1" pageSize="100" totalAvailable="{len(names)}"/>'
                                       f"<projects>{items}</projects>"))
        if method == "POST" and rest == "fileUploads":
            upload_id = f"upload-{len(fake.uploads) + 1}"
            fake.uploads[upload_id] = []
            return self._send(201, _ts(f'<fileUpload uploadSessionId="{upload_id}" fileSize="0"/>'))
        m = re.fullmatch(r"fileUploads/([\w-]+)", rest)
        if method == "PUT" and m:
            parts = parse_multipart(body, self.headers["Content-Type"])
            names = [re.search(r'name="([^"]+)"', h.get("content-disposition", "")).group(1) for h, _ in parts]
            assert names == ["request_payload", "tableau_file"], names
            fake.uploads[m.group(1)].append(parts[1][1])
            size = sum(len(c) for c in fake.uploads[m.group(1)]) // (1024 * 1024)
            return self._send(200, _ts(f'<fileUpload uploadSessionId="{m.group(1)}" fileSize="{size}"/>'))
        if method == "POST" and rest == "datasources":
            return self._publish(query, body)
        return self._send(404, _ts('<error code="404000"><summary>Not found</summary></error>'))

    def _publish(self, query, body):
        fake: FakeTableau = self.fake
        assert self.headers["Content-Type"].startswith("multipart/mixed"), self.headers["Content-Type"]
        parts = parse_multipart(body, self.headers["Content-Type"])
        payload = ET.fromstring(parts[0][1])
        ds = payload.find("datasource")
        project_id = ds.find("project").get("id")
        if not project_id.startswith("proj-"):
            return self._send(404, _ts('<error code="404005"><summary>Project not found</summary></error>'))
        upload = query.get("uploadSessionId", [None])[0]
        if upload:
            content = b"".join(fake.uploads[upload])
            chunks = len(fake.uploads[upload])
        else:
            disposition = parts[1][0]["content-disposition"]
            assert 'name="tableau_datasource"' in disposition, disposition
            content, chunks = parts[1][1], 0
        fake.published.append({"name": ds.get("name"), "project_id": project_id, "content": content,
                               "chunks": chunks, "query": {k: v[0] for k, v in query.items()}})
        ds_id = f"ds-{len(fake.published)}"
        return self._send(201, _ts(f'<datasource id="{ds_id}" name="{ds.get("name")}" type="hyper">'
                                   f'<project id="{project_id}"/><owner id="user-1"/></datasource>'))

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def do_PUT(self):
        self._route("PUT")


class FakeTableau(_Server):
    def __init__(self, token=("chordme-ci", "s3cret"), site="", projects=("Default", "ChordMe"), api_version="3.22"):
        super().__init__(_TableauHandler)
        self.token, self.site, self.projects, self.api_version = token, site, list(projects), api_version
        self.site_id, self.auth_token = "site-0001", "auth-token-xyz"
        self.requests: list[tuple[str, str]] = []
        self.uploads: dict[str, list[bytes]] = {}
        self.published: list[dict] = []


# --- Power BI ------------------------------------------------------------------------------------------------

class _PowerBIHandler(_Handler):
    def _json(self, status: int, value=None, headers=None):
        body = b"" if value is None else json.dumps(value).encode()
        self._send(status, body, "application/json", headers)

    def _route(self, method: str):
        fake: FakePowerBI = self.fake
        url = urlparse(self.path)
        body = self._body()
        if self.headers.get("Authorization") != f"Bearer {fake.token}":
            return self._json(403 if self.headers.get("Authorization") else 401,
                              {"error": {"code": "PowerBINotAuthorizedException"}})
        path = re.sub(r"^/v1\.0/myorg(/groups/[\w-]+)?", "", url.path)
        with fake.lock:
            fake.calls.append((method, path))
        if method == "GET" and path == "/datasets":
            with fake.lock:
                return self._json(200, {"value": [{"id": i, "name": d["name"]} for i, d in fake.datasets.items()]})
        if method == "POST" and path == "/datasets":
            spec = json.loads(body)
            if spec.get("defaultMode") != "Push":
                return self._json(400, {"error": {"message": "defaultMode must be Push"}})
            with fake.lock:
                ds_id = f"dataset-{len(fake.datasets) + 1}"
                fake.datasets[ds_id] = {"name": spec["name"], "tables": {t["name"]: t["columns"] for t in spec["tables"]}}
                fake.rows[ds_id] = {t["name"]: [] for t in spec["tables"]}
            return self._json(201, {"id": ds_id, "name": spec["name"]})
        m = re.fullmatch(r"/datasets/([\w-]+)(/.*)?", path)
        if not m or m.group(1) not in fake.datasets:
            return self._json(404, {"error": {"code": "ItemNotFound"}})
        ds_id, rest = m.group(1), m.group(2) or ""
        if method == "GET" and rest == "":
            return self._json(200, {"id": ds_id, "name": fake.datasets[ds_id]["name"]})
        if method == "POST" and rest == "/refreshes":
            fake.refreshes.append(ds_id)
            return self._json(202)
        m = re.fullmatch(r"/tables/(\w+)(/rows)?", rest)
        if not m:
            return self._json(404, {"error": {"code": "ItemNotFound"}})
        table, rows_path = m.group(1), m.group(2)
        if method == "PUT" and not rows_path:
            with fake.lock:
                fake.datasets[ds_id]["tables"][table] = json.loads(body)["columns"]
                fake.rows[ds_id].setdefault(table, [])
            return self._json(200, json.loads(body))
        if method == "DELETE" and rows_path:
            with fake.lock:
                fake.rows[ds_id][table] = []
            return self._json(200)
        if method == "POST" and rows_path:
            return self._post_rows(ds_id, table, body)
        return self._json(405)

    def _post_rows(self, ds_id: str, table: str, body: bytes):
        fake: FakePowerBI = self.fake
        now = time.monotonic()
        with fake.lock:
            fake.post_attempts += 1
            window = fake.windows[ds_id]
            while window and window[0] <= now - fake.window_seconds:
                window.popleft()
            if len(window) >= fake.max_per_window:
                fake.rejected_429 += 1
                retry = window[0] + fake.window_seconds - now
                return self._json(429, {"error": {"code": "TooManyRequests"}},
                                  {"Retry-After": f"{max(retry, 0.01):.3f}"})
            window.append(now)
            fake.max_seen_in_window = max(fake.max_seen_in_window, len(window))
            if fake.pending[ds_id] >= fake.max_pending:
                fake.pending_violations += 1
                return self._json(429, {"error": {"code": "TooManyPendingRequests"}}, {"Retry-After": "0.05"})
            fake.pending[ds_id] += 1
            fake.max_pending_seen = max(fake.max_pending_seen, fake.pending[ds_id])
            fail = fake.fail_statuses.pop(0) if fake.fail_statuses else None
        try:
            if fake.post_delay:
                time.sleep(fake.post_delay)
            if fail:
                return self._json(fail, {"error": {"code": "InternalServerError"}})
            rows = json.loads(body)["rows"]
            if len(rows) > 10_000:
                return self._json(400, {"error": {"message": f"{len(rows)} rows exceeds 10000 per request"}})
            columns = {c["name"] for c in fake.datasets[ds_id]["tables"][table]}
            unknown = {k for row in rows for k in row} - columns
            if unknown:
                return self._json(400, {"error": {"message": f"unknown columns {sorted(unknown)}"}})
            with fake.lock:
                fake.rows[ds_id][table].extend(rows)
                fake.accepted_posts += 1
                if fake.fail_after_accepted is not None and fake.accepted_posts >= fake.fail_after_accepted:
                    fake.fail_statuses.extend([500] * fake.fail_count)
                    fake.fail_after_accepted = None
            return self._json(200)
        finally:
            with fake.lock:
                fake.pending[ds_id] -= 1

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def do_PUT(self):
        self._route("PUT")

    def do_DELETE(self):
        self._route("DELETE")


class FakePowerBI(_Server):
    """Enforces 10,000 rows per POST (400), ``max_per_window`` POST rows per ``window_seconds`` per dataset and
    ``max_pending`` concurrent POSTs (429 + Retry-After); ``fail_after_accepted`` starts a run of 500s."""

    def __init__(self, token="good-token", max_per_window=120, window_seconds=60.0, max_pending=5, post_delay=0.0):
        super().__init__(_PowerBIHandler)
        self.token = token
        self.max_per_window, self.window_seconds, self.max_pending = max_per_window, window_seconds, max_pending
        self.post_delay = post_delay
        self.lock = threading.Lock()
        self.datasets: dict[str, dict] = {}
        self.rows: dict[str, dict[str, list]] = {}
        self.windows: dict[str, deque] = defaultdict(deque)
        self.pending: dict[str, int] = defaultdict(int)
        self.calls: list[tuple[str, str]] = []
        self.refreshes: list[str] = []
        self.fail_statuses: list[int] = []
        self.fail_after_accepted: int | None = None
        self.fail_count = 0
        self.post_attempts = self.accepted_posts = self.rejected_429 = self.pending_violations = 0
        self.max_seen_in_window = self.max_pending_seen = 0

    @property
    def api(self) -> str:
        return self.url + "/v1.0/myorg"


# --- webhook receiver ----------------------------------------------------------------------------------------

class _WebhookHandler(_Handler):
    def do_POST(self):
        fake: FakeWebhook = self.fake
        body = self._body()
        timestamp = self.headers.get(TIMESTAMP_HEADER, "")
        signature = self.headers.get(SIGNATURE_HEADER, "")
        valid = verify(body, fake.secret, timestamp, signature)
        fake.received.append({"body": body, "valid": valid})
        if fake.fail_statuses:
            return self._send(fake.fail_statuses.pop(0), b"try later", "text/plain")
        self._send(204 if valid else 401, b"" if valid else b"bad signature", "text/plain")


class FakeWebhook(_Server):
    def __init__(self, secret: str):
        super().__init__(_WebhookHandler)
        self.secret = secret
        self.received: list[dict] = []
        self.fail_statuses: list[int] = []


@contextmanager
def running(server):
    with server:
        yield server
