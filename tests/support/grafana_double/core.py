"""The double's HTTP server: state, lifecycle, faults, auth, routing, the request log.

Resource handlers live in their own modules (dashboards, apis, folders, datasources,
search); each declares ``ROUTES`` (regex on ``"METHOD /path"`` -> handler name), and
:meth:`Core.route` dispatches over all of them.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

import attr

from tests.support.grafana_double.common import Raw, errutil

WRITE_PERMS = {"dashboards": "dashboards:create, dashboards:write", "folders": "folders:create",
               "datasources": "datasources:create, datasources:write"}


@attr.s
class Fault:
    method: str = attr.ib()
    path: str = attr.ib()  # regex on the path
    status: int = attr.ib(default=503)
    times: int = attr.ib(default=1)
    retry_after: int | None = attr.ib(default=None)
    delay: float = attr.ib(default=0.0)
    drop: bool = attr.ib(default=False)
    after: bool = attr.ib(default=False)  # handle the request, then answer with the fault


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that time out or are dropped on purpose close their sockets


class Core:
    """State and HTTP plumbing; resources are mixed in by :class:`GrafanaDouble`."""

    ROUTES = (
        (r"GET /api/frontend/settings", "settings"),
        (r"GET /api/user", "user"),
        (r"GET /api/org", "org"),
    )

    def __init__(self, era: str = "E2", version: str = "11.3.0", latency: float = 0.0,
                 port: int = 0, folder_exists_status: int = 409):
        assert era in ("E2", "E3") and folder_exists_status in (409, 412)
        self.era = era
        self.folder_exists_status = folder_exists_status
        self.latency = latency  # seconds added to every request, as a real server's work
        self.version = version
        self.tokens = {"glsa_admin_token": ("Editor", 1), "glsa_viewer_token": ("Viewer", 1)}
        self.users = {"admin": ("admin-password", "Admin")}
        self.dashboards: dict[str, dict] = {}
        self.folders: dict[str, dict] = {}
        self.datasources: dict[str, dict] = {}
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str, int]] = []
        self.headers_seen: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0  # most requests being handled at once (bounded concurrency)
        self._ids = iter(range(1, 10**9))
        self._rv = iter(range(1000, 10**12))  # resourceVersions: one per write, store-wide
        self.lock = threading.RLock()
        self.server = _Server(("127.0.0.1", port), make_handler(self))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # shutdown() waits for serve_forever's next poll: 0.5 s by default, on every stop
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    def next_rv(self) -> str:
        return str(next(self._rv))

    def settings(self, **_):
        return 200, {"buildInfo": {"version": self.version, "edition": "Open Source"}}

    def user(self, **_):
        return 200, {"id": 0, "login": "sa-plano", "orgId": 1}

    def org(self, **_):
        return 200, {"id": 1, "name": "Main Org."}

    # --- lifecycle and test helpers
    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def inject(self, method: str, path: str, **kwargs) -> Fault:
        fault = Fault(method, path, **kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def writes(self) -> list[tuple[str, str, int]]:
        return [entry for entry in self.log if entry[0] not in ("GET", "HEAD")]

    def reset_log(self) -> None:
        with self.lock:
            self.log.clear()
            self.headers_seen.clear()

    # --- HTTP
    def _record(self, method: str, path: str, status: int) -> None:
        with self.lock:
            self.log.append((method, path, status))

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method in (method, "*") and re.search(fault.path, path):
                    fault.times -= 1
                    return fault
        return None

    # --- auth
    def _auth(self, headers) -> tuple[int, dict] | str:
        header = headers.get("Authorization", "")
        role = None
        org = 1
        if header.startswith("Bearer "):
            token = header[7:]
            if token not in self.tokens:
                return 401, errutil(401, "Invalid API key", "api-key.invalid")
            role, org = self.tokens[token]
            wanted = headers.get("X-Grafana-Org-Id")
            if wanted and int(wanted) != org:
                return 401, errutil(401, "API key does not belong to the requested organization",
                                     "api-key.organization-mismatch")
        elif header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            if user == "api_key" and password in self.tokens:
                role = self.tokens[password][0]
            elif self.users.get(user, (None,))[0] == password:
                role = self.users[user][1]
            else:
                return 401, errutil(401, "Invalid username or password", "password-auth.failed")
        else:
            return 401, errutil(401, "Unauthorized", "auth.unauthorized")
        return role

    def control(self, method: str, path: str) -> tuple[int, object]:
        """``/_double/...``: out-of-band state for a process that started the double as a
        server (bench/deploy.py); not part of Grafana's API, and not logged."""
        with self.lock:
            if (method, path) == ("GET", "/_double/log"):
                return 200, [list(entry) for entry in self.log]
            if (method, path) == ("POST", "/_double/reset"):
                self.log.clear()
                self.headers_seen.clear()
                return 200, {}
            if (method, path) == ("GET", "/_double/dashboards"):
                return 200, Raw(json.dumps({uid: s["data"] for uid, s in self.dashboards.items()}))
        return 404, {"message": "Not found"}

    def route(self, method: str, path: str, query: dict, raw: bytes, headers) -> tuple[int, object]:
        if path == "/api/health" and method == "GET":
            return 200, {"commit": "087143285", "database": "ok", "version": self.version}
        role = self._auth(headers)
        if isinstance(role, tuple):
            return role
        if method != "GET" and role == "Viewer":
            area = path.split("/")[2] if path.count("/") >= 2 else "dashboards"
            perms = WRITE_PERMS.get(area, "dashboards:write")
            return 403, {"title": "Access denied", "accessErrorId": "ACE0123456789",
                         "message": "You'll need additional permissions to perform this action. "
                                    f"Permissions needed: any of {perms}"}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return 400, {"message": "bad request data"}
        with self.lock:
            for pattern, name in self._routes():
                m = re.fullmatch(pattern, f"{method} {path}")
                if m:
                    return getattr(self, name)(*[unquote(g) for g in m.groups()], query=query,
                                               body=body, headers=headers)
        return 404, {"message": "Not found"}

    def _routes(self) -> list[tuple[str, str]]:
        """Every resource module's routes, in the order the classes are mixed in."""
        return [route for cls in type(self).__mro__ for route in cls.__dict__.get("ROUTES", ())]


def make_handler(double: Core) -> type[BaseHTTPRequestHandler]:
    """The request handler class of one double: dispatch, latency, faults, the log."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Go's net/http (Grafana) sets TCP_NODELAY; without it, the body written after
        # the headers waits for the client's delayed ACK, ~40 ms on every response.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def _dispatch(self, method: str) -> None:
            with double.lock:
                double.in_flight += 1
                double.max_in_flight = max(double.max_in_flight, double.in_flight)
            try:
                self._handle(method)
            finally:
                with double.lock:
                    double.in_flight -= 1

        def _handle(self, method: str) -> None:
            url = urlparse(self.path)
            if url.path.startswith("/_double/"):
                self._send(*double.control(method, url.path))
                return
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            with double.lock:
                double.headers_seen.append(dict(self.headers))
            if double.latency:
                time.sleep(double.latency)
            fault = double._take_fault(method, url.path)
            if fault and fault.delay:
                time.sleep(fault.delay)
            if fault and fault.drop:
                double._record(method, url.path, 0)
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if fault and not fault.after and not fault.delay:
                self._fault(method, url.path, fault)
                return
            status, body = double.route(method, url.path, parse_qs(url.query), raw, self.headers)
            if fault and fault.after:
                self._fault(method, url.path, fault)
                return
            double._record(method, url.path, status)
            self._send(status, body)

        def _fault(self, method, path, fault):
            double._record(method, path, fault.status)
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            self._send(fault.status, {"message": "injected fault", "traceID": ""}, headers)

        def _send(self, status, body, headers=None):
            data = (body.text if isinstance(body, Raw) else json.dumps(body)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._dispatch("GET")

        def do_POST(self):
            self._dispatch("POST")

        def do_PUT(self):
            self._dispatch("PUT")

        def do_DELETE(self):
            self._dispatch("DELETE")

    return Handler
