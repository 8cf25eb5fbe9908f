"""A Grafana HTTP API test double: a real HTTP server on 127.0.0.1.

Run it by hand to try ``deploy`` without a Grafana::

    python -m tests.support.grafana_double --port 3000     # token: glsa_admin_token

Follows Grafana's HTTP API as read in Grafana's source (docs/grafana-api.md): the
11.3–12.x ("E2") behaviour by default — 412 ``version-mismatch`` on a stale save, every
save bumps the version — and, with
``era="E3"``, 13.x's 409 "Dashboard already exists" and generation-style versions that
only move when the content changes. Auth bodies, RBAC 403s, folder and datasource rules
are those of the spec. Faults real servers have can be injected per route: 5xx, 429 with
Retry-After, delays past the client timeout, dropped connections. ``ui_edit`` saves a
dashboard the way Grafana's UI does, keeping only the keys the UI knows.

Provisioned and managed dashboards, as Grafana reports and refuses them:

* ``provision(uid)``: file provisioning without ``allowUiUpdates``. GET says
  ``meta.provisioned: true`` (pkg/api/dashboard.go ``GetDashboard``); a save answers 400
  ``{"message": "Cannot save provisioned dashboard"}`` and a delete 400
  ``{"message": "provisioned dashboard cannot be deleted"}``
  (pkg/services/dashboards/errors.go, mapped by pkg/api/apierrors/dashboard.go).
* ``manage(uid, kind, identity)``: a Grafana 12+ manager annotation
  (``grafana.app/managedBy``/``managerId``/``managerAllowsEdits``,
  pkg/apimachinery/utils/manager.go), visible only through
  ``GET /apis/dashboard.grafana.app/v1beta1/namespaces/<ns>/dashboards/<uid>`` when the
  double plays a 12+ version. Grafana's storage does not stop a legacy save of a
  terraform- or kubectl-managed dashboard (pkg/storage/unified/apistore/managed.go:
  "TODO: check the kubectl+terraform resource"), so neither does the double: refusing is
  the client's job.

Responses go out with TCP_NODELAY, as from Grafana's Go server; ``/_double/log``,
``/_double/reset`` and ``/_double/dashboards`` expose the double's state to a process that
started it as a server (they are not Grafana's, and are not logged).

A folder create whose uid exists answers 409 (SQL era, pkg/api/apierrors/folder.go) or,
with ``folder_exists_status=412``, the 412 ``version-mismatch`` body 12.x's k8s folder
path maps ``AlreadyExists`` to.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

import attr

UID_RE = re.compile(r"^[a-zA-Z0-9_-]*$")
UI_KEYS = {"annotations", "description", "editable", "fiscalYearStartMonth", "graphTooltip", "id",
           "links", "liveNow", "panels", "refresh", "schemaVersion", "tags", "templating", "time",
           "timepicker", "timezone", "title", "uid", "version", "weekStart"}
WRITE_PERMS = {"dashboards": "dashboards:create, dashboards:write", "folders": "folders:create",
               "datasources": "datasources:create, datasources:write"}


def slugify(title: str) -> str:
    out = []
    for ch in title.lower():
        if ch == " ":
            out.append("-")
        elif re.match(r"[a-z0-9_-]", ch):
            out.append(ch)
        elif ch in ',"\'?.()\r\n\0':
            continue
        else:
            out.append(ch.encode().hex())
    slug = "".join(out)
    return slug if 0 < len(slug) <= 50 else "dashboard"


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


class GrafanaDouble:
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
        self.lock = threading.RLock()
        self.server = _Server(("127.0.0.1", port), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- lifecycle and test helpers
    def start(self) -> GrafanaDouble:
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

    def ui_edit(self, uid: str, **changes) -> None:
        """Save as Grafana's UI does: unknown top-level keys dropped, version bumped."""
        with self.lock:
            stored = self.dashboards[uid]
            data = {k: v for k, v in copy.deepcopy(stored["data"]).items() if k in UI_KEYS}
            data.update(changes)
            self._store(stored, data, message="", bump=True)

    def provision(self, uid: str, external_id: str = "plano/dashboard.json") -> None:
        """Mark a stored dashboard as file-provisioned (``allowUiUpdates: false``)."""
        with self.lock:
            self.dashboards[uid]["provisioned"] = True
            self.dashboards[uid]["provisionedExternalId"] = external_id

    def manage(self, uid: str, kind: str, identity: str = "", allows_edits: bool = False) -> None:
        """Give a stored dashboard a Grafana 12+ manager (``grafana.app/managedBy``)."""
        with self.lock:
            annotations = {"grafana.app/managedBy": kind, "grafana.app/managerId": identity}
            if allows_edits:
                annotations["grafana.app/managerAllowsEdits"] = "true"
            self.dashboards[uid]["annotations"] = annotations

    def add_datasource(self, **fields) -> dict:
        with self.lock:
            ds = self._new_datasource(fields)
            self.datasources[ds["uid"]] = ds
            return ds

    # --- storage
    def _store(self, stored: dict, data: dict, message: str, bump: bool) -> None:
        if bump:
            stored["version"] += 1
        # A stored dashboard is replaced on every save, never modified in place, so the
        # version history can share it (the request body it came from is not reused).
        data = dict(data)
        data["id"], data["uid"], data["version"] = stored["id"], stored["uid"], stored["version"]
        stored["data"] = data
        stored["updated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        stored["versions"].insert(0, {"version": stored["version"], "message": message,
                                      "created": stored["updated"], "data": data})

    def _new_datasource(self, f: dict) -> dict:
        uid = f.get("uid") or f"ds{next(self._ids)}"
        return {"id": next(self._ids), "uid": uid, "orgId": 1, "name": f.get("name") or f["type"],
                "type": f["type"], "access": f["access"], "url": f.get("url", ""),
                "user": "", "database": "", "basicAuth": False, "basicAuthUser": "",
                "withCredentials": False, "isDefault": bool(f.get("isDefault")) or not self.datasources,
                "jsonData": f.get("jsonData") or {}, "secureJsonFields": {}, "version": 1,
                "readOnly": bool(f.get("readOnly", False))}

    # --- HTTP
    def _handler(self):
        double = self

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
                data = (body.text if isinstance(body, _Raw) else json.dumps(body)).encode()
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
                return 401, _errutil(401, "Invalid API key", "api-key.invalid")
            role, org = self.tokens[token]
            wanted = headers.get("X-Grafana-Org-Id")
            if wanted and int(wanted) != org:
                return 401, _errutil(401, "API key does not belong to the requested organization",
                                     "api-key.organization-mismatch")
        elif header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            if user == "api_key" and password in self.tokens:
                role = self.tokens[password][0]
            elif self.users.get(user, (None,))[0] == password:
                role = self.users[user][1]
            else:
                return 401, _errutil(401, "Invalid username or password", "password-auth.failed")
        else:
            return 401, _errutil(401, "Unauthorized", "auth.unauthorized")
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
                return 200, _Raw(json.dumps({uid: s["data"] for uid, s in self.dashboards.items()}))
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
            for pattern, handler in self._routes():
                m = re.fullmatch(pattern, f"{method} {path}")
                if m:
                    return handler(*[unquote(g) for g in m.groups()], query=query, body=body)
        return 404, {"message": "Not found"}

    def _routes(self):
        return [
            (r"GET /api/frontend/settings", self.settings),
            (r"GET /apis/dashboard\.grafana\.app/v1beta1/namespaces/([^/]+)/dashboards/([^/]+)",
             self.k8s_dashboard),
            (r"GET /api/user", lambda **_: (200, {"id": 0, "login": "sa-plano", "orgId": 1})),
            (r"GET /api/org", lambda **_: (200, {"id": 1, "name": "Main Org."})),
            (r"POST /api/dashboards/db", self.save_dashboard),
            (r"GET /api/dashboards/uid/([^/]+)", self.get_dashboard),
            (r"DELETE /api/dashboards/uid/([^/]+)", self.delete_dashboard),
            (r"GET /api/dashboards/uid/([^/]+)/versions", self.versions),
            (r"GET /api/search", self.search),
            (r"GET /api/folders", self.list_folders),
            (r"GET /api/folders/([^/]+)", self.get_folder),
            (r"POST /api/folders", self.create_folder),
            (r"PUT /api/folders/([^/]+)", self.update_folder),
            (r"DELETE /api/folders/([^/]+)", self.delete_folder),
            (r"GET /api/datasources", lambda **_: (200, sorted(self.datasources.values(),
                                                               key=lambda d: d["name"].lower()))),
            (r"GET /api/datasources/uid/([^/]+)", self.get_datasource),
            (r"GET /api/datasources/name/([^/]+)", self.get_datasource_by_name),
            (r"POST /api/datasources", self.create_datasource),
            (r"PUT /api/datasources/uid/([^/]+)", self.update_datasource),
            (r"DELETE /api/datasources/uid/([^/]+)", self.delete_datasource),
        ]

    def k8s_dashboard(self, namespace, uid, **_):
        """Grafana 12+'s Kubernetes-style read: metadata (annotations) plus spec."""
        if int(self.version.split(".")[0]) < 12:
            return 404, {"message": "Not found"}
        stored = self.dashboards.get(uid)
        if namespace != "default" or not stored:
            return 404, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                         "message": f'dashboards.dashboard.grafana.app "{uid}" not found',
                         "reason": "NotFound", "code": 404,
                         "details": {"name": uid, "group": "dashboard.grafana.app",
                                     "kind": "dashboards"}}
        annotations = dict(stored.get("annotations") or {})
        if stored["folderUid"]:
            annotations["grafana.app/folder"] = stored["folderUid"]
        spec = {k: v for k, v in stored["data"].items() if k not in ("id", "uid", "version")}
        return 200, {"apiVersion": "dashboard.grafana.app/v1beta1", "kind": "Dashboard",
                     "metadata": {"name": uid, "namespace": namespace, "generation": stored["version"],
                                  "resourceVersion": str(stored["version"]),
                                  "annotations": annotations},
                     "spec": spec}

    def settings(self, **_):
        return 200, {"buildInfo": {"version": self.version, "edition": "Open Source"}}

    # --- dashboards
    def save_dashboard(self, body=None, **_):
        if not isinstance(body, dict) or not isinstance(body.get("dashboard"), dict):
            return 400, {"message": "bad request data"}
        if body.get("isFolder"):
            return 400, {"message": "Use folders endpoint for saving folders."}
        d = body["dashboard"]
        title = str(d.get("title") or "").strip()
        if not title:
            return 400, {"status": "empty-name", "message": "Dashboard title cannot be empty"}
        if len(body.get("message") or "") > 500:
            return 400, {"message": "message too long, max 500 characters"}
        uid = d.get("uid") if isinstance(d.get("uid"), str) else ""
        if uid and not UID_RE.match(uid.strip()):
            return 400, {"message": "uid contains illegal characters"}
        if len(uid) > 40:
            return 400, {"message": "uid too long, max 40 characters"}
        folder_uid = body.get("folderUid") or ""
        if folder_uid and folder_uid not in self.folders:
            return 400, {"message": "folder not found"}
        did = d.get("id") if isinstance(d.get("id"), int) else 0
        existing = self.dashboards.get(uid) if uid else None
        if did and not existing:
            existing = next((x for x in self.dashboards.values() if x["id"] == did), None)
            if existing is None:
                return 404, {"status": "not-found", "message": "Dashboard not found"}
        version = d.get("version") if (did or uid) and isinstance(d.get("version"), int) else 0
        overwrite = bool(body.get("overwrite"))
        if existing:
            if existing.get("provisioned"):
                return 400, {"message": "Cannot save provisioned dashboard"}
            if version != existing["version"] and not overwrite:
                if self.era == "E3":
                    return 409, {"message": "Dashboard already exists. Use overwrite flag to update."}
                return 412, {"status": "version-mismatch",
                             "message": "The dashboard has been changed by someone else"}
            content_changed = _content(existing["data"]) != _content(d)
            bump = self.era == "E2" or content_changed or existing["folderUid"] != folder_uid
            existing["folderUid"] = folder_uid
            self._store(existing, d, body.get("message") or "", bump)
            stored = existing
        else:
            uid = uid or f"gen{next(self._ids):011d}"
            stored = {"id": next(self._ids), "uid": uid, "version": 0, "folderUid": folder_uid,
                      "versions": [], "created": "", "provisioned": False}
            self.dashboards[uid] = stored
            self._store(stored, d, body.get("message") or "", bump=True)
        slug = slugify(title)
        return 200, {"id": stored["id"], "uid": stored["uid"], "url": f"/d/{stored['uid']}/{slug}",
                     "status": "success", "version": stored["version"], "slug": slug,
                     "folderUid": folder_uid}

    def get_dashboard(self, uid, **_):
        stored = self.dashboards.get(uid)
        if not stored:
            return 404, {"message": "Dashboard not found", "traceID": ""}
        folder = self.folders.get(stored["folderUid"])
        slug = slugify(stored["data"].get("title", ""))
        meta = {"type": "db", "canSave": True, "canEdit": True, "canAdmin": True, "canStar": True,
                "canDelete": True, "slug": slug, "url": f"/d/{uid}/{slug}",
                "expires": "0001-01-01T00:00:00Z", "created": stored["created"],
                "updated": stored["updated"], "updatedBy": "admin", "createdBy": "admin",
                "version": stored["version"], "hasAcl": False, "isFolder": False,
                "folderId": folder["id"] if folder else 0,
                "folderUid": stored["folderUid"], "folderTitle": folder["title"] if folder else "General",
                "folderUrl": f"/dashboards/f/{stored['folderUid']}/" if folder else "",
                "provisioned": stored.get("provisioned", False),
                "provisionedExternalId": stored.get("provisionedExternalId", "")}
        return 200, _Raw(json.dumps({"dashboard": stored["data"], "meta": meta}))

    def delete_dashboard(self, uid, **_):
        stored = self.dashboards.get(uid)
        if not stored:
            return 404, {"message": "Dashboard not found"}
        if stored.get("provisioned"):
            return 400, {"message": "provisioned dashboard cannot be deleted"}
        del self.dashboards[uid]
        title = stored["data"].get("title", "")
        return 200, {"title": title, "message": f"Dashboard {title} deleted", "uid": uid}

    def versions(self, uid, **_):
        stored = self.dashboards.get(uid)
        if not stored:
            return 404, {"message": "Dashboard not found"}
        return 200, {"continueToken": "", "versions": [
            {"id": v["version"], "dashboardId": stored["id"], "uid": uid, "version": v["version"],
             "parentVersion": v["version"] - 1, "restoredFrom": 0, "created": v["created"],
             "createdBy": "admin", "message": v["message"]} for v in stored["versions"]]}

    def search(self, query=None, **_):
        q = query or {}
        limit = int(q.get("limit", ["1000"])[0])
        if limit > 5000:
            return 422, {"message": "Limit is above maximum allowed (5000), use page parameter to "
                                    "access hits beyond limit"}
        page = int(q.get("page", ["1"])[0])
        tags = set(q.get("tag", []))
        text = (q.get("query", [""])[0]).lower()
        kind = q.get("type", [None])[0]
        uids = set(q.get("dashboardUIDs", []) + q.get("dashboardUID", []))
        folders = set(q.get("folderUIDs", []))
        if "0" in q.get("folderIds", []) or "general" in folders:  # the root folder
            folders = (folders - {"general"}) | {""}
        hits = []
        if kind in (None, "dash-folder"):
            for f in self.folders.values():
                if text in f["title"].lower() and not tags:
                    hits.append({"id": f["id"], "uid": f["uid"], "orgId": 1, "title": f["title"],
                                 "type": "dash-folder", "tags": [], "isStarred": False})
        if kind in (None, "dash-db"):
            for s in self.dashboards.values():
                data = s["data"]
                if tags - set(data.get("tags", [])):  # AND semantics
                    continue
                if text not in data.get("title", "").lower() or (uids and s["uid"] not in uids):
                    continue
                if folders and s["folderUid"] not in folders:
                    continue
                hit = {"id": s["id"], "uid": s["uid"], "orgId": 1, "title": data.get("title"),
                       "uri": f"db/{slugify(data.get('title', ''))}", "type": "dash-db",
                       "tags": sorted(data.get("tags", [])), "isStarred": False,
                       "url": f"/d/{s['uid']}/"}
                if s["folderUid"]:
                    hit["folderUid"] = s["folderUid"]
                hits.append(hit)
        hits.sort(key=lambda h: (h["type"] != "dash-folder", h["title"].lower()))
        return 200, hits[(page - 1) * limit: page * limit]

    # --- folders
    def _folder_dto(self, f):
        return {**f, "url": f"/dashboards/f/{f['uid']}/{slugify(f['title'])}", "canSave": True,
                "canEdit": True, "canAdmin": True, "canDelete": True, "hasAcl": False, "orgId": 1}

    def list_folders(self, **_):
        return 200, [{"id": f["id"], "uid": f["uid"], "title": f["title"]}
                     for f in self.folders.values()]

    def get_folder(self, uid, **_):
        f = self.folders.get(uid)
        if not f:
            return 404, {"status": "not-found", "message": "folder not found"}
        return 200, self._folder_dto(f)

    def create_folder(self, body=None, **_):
        if not isinstance(body, dict):
            return 400, {"message": "bad request data"}
        title = str(body.get("title") or "").strip()
        if not title:
            return 400, {"message": "folder title cannot be empty"}
        uid = body.get("uid") or f"f{next(self._ids)}"
        if not UID_RE.match(uid):
            return 400, {"message": "uid contains illegal characters"}
        if len(uid) > 40:
            return 400, {"message": "uid too long, max 40 characters"}
        if uid in self.folders or uid in self.dashboards:
            if self.folder_exists_status == 412:
                return 412, {"status": "version-mismatch",
                             "message": "the folder has been changed by someone else"}
            return 409, {"message": "a folder/dashboard with the same uid already exists"}
        f = {"id": next(self._ids), "uid": uid, "title": title, "version": 1}
        self.folders[uid] = f
        return 200, self._folder_dto(f)

    def update_folder(self, uid, body=None, **_):
        f = self.folders.get(uid)
        if not f:
            return 404, {"status": "not-found", "message": "folder not found"}
        body = body or {}
        if body.get("version") != f["version"] and not body.get("overwrite"):
            return 412, {"status": "version-mismatch",
                         "message": "the folder has been changed by someone else"}
        if "title" in body:
            if not str(body["title"]).strip():
                return 400, {"message": "folder title cannot be empty"}
            f["title"] = body["title"]
        f["version"] += 1
        return 200, self._folder_dto(f)

    def delete_folder(self, uid, **_):
        """Deletes the folder and the dashboards in it (newer Grafana's short body)."""
        if uid not in self.folders:
            return 404, {"status": "not-found", "message": "folder not found"}
        del self.folders[uid]
        for dashboard_uid in [u for u, d in self.dashboards.items() if d["folderUid"] == uid]:
            del self.dashboards[dashboard_uid]
        return 200, {"message": "Folder deleted"}

    # --- datasources
    def get_datasource(self, uid, **_):
        ds = self.datasources.get(uid)
        return (200, copy.deepcopy(ds)) if ds else (404, {"message": "Data source not found"})

    def get_datasource_by_name(self, name, **_):
        ds = next((d for d in self.datasources.values() if d["name"] == name), None)
        return (200, copy.deepcopy(ds)) if ds else (404, {"message": "Data source not found"})

    def create_datasource(self, body=None, **_):
        if not isinstance(body, dict) or not body.get("type") or not body.get("access"):
            return 400, {"message": "bad request data"}
        if any(d["name"] == body.get("name") for d in self.datasources.values()):
            return 409, {"message": "data source with the same name already exists", "traceID": ""}
        if body.get("uid") in self.datasources:
            return 409, {"message": "data source with the same uid already exists", "traceID": ""}
        body = {k: v for k, v in body.items() if k != "readOnly"}
        ds = self._new_datasource(body)
        if ds["isDefault"]:
            for other in self.datasources.values():
                other["isDefault"] = False
        self.datasources[ds["uid"]] = ds
        return 200, {"datasource": copy.deepcopy(ds), "id": ds["id"], "message": "Datasource added",
                     "name": ds["name"]}

    def update_datasource(self, uid, body=None, **_):
        ds = self.datasources.get(uid)
        if not ds:
            return 404, {"message": "Data source not found"}
        if not isinstance(body, dict) or not all(body.get(k) for k in ("name", "type", "access")):
            return 400, {"message": "bad request data"}
        if ds["readOnly"]:
            return 403, {"message": "Cannot update read-only data source"}
        if any(d["name"] == body["name"] and d["uid"] != uid for d in self.datasources.values()):
            return 409, {"message": "Failed to update datasource: data source with the same name "
                                    "already exists"}
        sent = body.get("version") or 0
        if sent and ds["version"] > sent:
            return 409, {"message": "Datasource has already been updated by someone else. "
                                    "Please reload and try again"}
        new = self._new_datasource({**body, "uid": uid})
        new["id"], new["version"] = ds["id"], sent + 1
        self.datasources[uid] = new
        return 200, {"datasource": copy.deepcopy(new), "id": new["id"],
                     "message": "Datasource updated", "name": new["name"]}

    def delete_datasource(self, uid, **_):
        ds = self.datasources.get(uid)
        if not ds:
            return 404, {"message": "Data source not found"}
        if ds["readOnly"]:
            return 403, {"message": "Cannot delete read-only data source"}
        del self.datasources[uid]
        return 200, {"message": "Data source deleted", "id": ds["id"]}


class _Raw:
    """A body serialised while the lock was held (no deep copy of a stored dashboard)."""

    def __init__(self, text: str):
        self.text = text


def _content(d: dict) -> dict:
    return {k: v for k, v in d.items() if k not in ("id", "uid", "version")}


def _errutil(status: int, message: str, message_id: str) -> dict:
    return {"extra": None, "message": message, "messageId": message_id, "statusCode": status,
            "traceID": ""}


def main(argv: list[str] | None = None) -> None:
    """Serve the double until interrupted, for trying ``plano-grafana deploy`` by hand."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.grafana_double",
                                     description=main.__doc__)
    parser.add_argument("--port", type=int, default=3000, help="port on 127.0.0.1 (default 3000)")
    parser.add_argument("--era", choices=("E2", "E3"), default="E2",
                        help="E2: Grafana 11.3-12.x conflicts (412); E3: 13.x (409)")
    parser.add_argument("--version", default="11.3.0", help="reported Grafana version; 12+ serves /apis")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    args = parser.parse_args(argv)
    try:
        double = GrafanaDouble(era=args.era, version=args.version, latency=args.latency,
                               port=args.port)
    except OSError as exc:
        raise SystemExit(f"grafana double: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from None
    print(f"Grafana API double at {double.url} (Grafana {args.version}, era {args.era})", flush=True)
    print("  export GRAFANA_URL=" + double.url + " GRAFANA_TOKEN=glsa_admin_token", flush=True)
    try:
        double.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        double.server.server_close()


if __name__ == "__main__":
    main()
