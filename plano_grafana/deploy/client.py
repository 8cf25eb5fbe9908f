"""The Grafana client: every request the deploy makes, on both API paths.

One object wraps grafana-client's ``GrafanaApi`` (its session carries the auth, TLS,
retries and timeout set up by :func:`grafana_api.connect`) and adds:

* ``call``/``get``: one request, failures as one-line errors, ``get`` answering None on 404;
* ``map``: a function over items with at most ``workers`` requests in flight, stopping
  before the next item once ``stop`` is set (SIGINT/SIGTERM during a deploy);
* the classic ``/api`` reads and writes (search, folders, datasources, dashboards);
* the Kubernetes-style ``/apis/dashboard.grafana.app`` requests of Grafana 12+ (discovery,
  paginated LIST, GET at a chosen version, POST, PUT), sent through the same session,
  since grafana-client's base URL is fixed to ``/api``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import niquests
from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaTimeoutError

from plano_grafana.deploy.grafana_api import GrafanaError, ManagerError, Settings, call

#: Grafana's largest search page (a larger ``limit`` is a 422).
SEARCH_LIMIT = 5000
#: Longest query string of one search by uid: 8 KiB request lines pass common proxies.
SEARCH_QUERY_BUDGET = 6000
GROUP = "dashboard.grafana.app"
#: Items asked for per LIST page. Grafana ends a page at ``limit`` items or at 2 MiB of
#: objects, whichever comes first (pkg/storage/unified/resource/server.go,
#: ``MaxPageSizeBytes`` default ``1024 * 1024 * 2``), so a large limit costs nothing.
LIST_LIMIT = 1000


class V2Stored(GrafanaError):
    """The classic API will not serve this dashboard: it is stored as schema v2 (406)."""

    def __init__(self, uid: str, version: str):
        super().__init__(f"dashboard {uid} is stored as {GROUP}/{version}")
        self.uid, self.version = uid, version


def uid_chunks(uids: list[str]) -> Iterable[list[str]]:
    """Uids in groups whose ``dashboardUIDs=`` query stays within the budget."""
    chunk: list[str] = []
    size = 0
    for uid in uids:
        cost = len("&dashboardUIDs=") + len(uid)
        if chunk and size + cost > SEARCH_QUERY_BUDGET:
            yield chunk
            chunk, size = [], 0
        chunk.append(uid)
        size += cost
    if chunk:
        yield chunk


class Client:
    """One Grafana, reached through grafana-client's session by up to ``workers`` threads."""

    def __init__(self, settings: Settings, api: GrafanaApi, *, workers: int = 8,
                 stop: threading.Event | None = None):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.settings, self.api, self.workers = settings, api, workers
        self.stop = stop or threading.Event()
        self._lock = threading.Lock()
        self._namespace: str | None = None

    # --- plumbing
    def call(self, what: str, func: Callable):
        return call(self.settings, what, func)

    def get(self, what: str, func: Callable) -> dict | None:
        """A read that returns None on 404."""
        def read():
            try:
                return func()
            except GrafanaClientError as exc:
                if exc.status_code == 404:
                    return None
                raise
        return self.call(what, read)

    def map(self, func: Callable, items: Iterable) -> list:
        """``func`` over ``items``, at most ``workers`` in flight, results in order. Once
        ``stop`` is set no further item starts (its result is None); running ones finish."""
        items = list(items)

        def one(item):
            return None if self.stop.is_set() else func(item)
        if len(items) < 2 or self.workers == 1:
            return [one(item) for item in items]
        with ThreadPoolExecutor(min(self.workers, len(items))) as pool:
            return list(pool.map(one, items))

    def request(self, method: str, path: str, *, json: dict | None = None,
                params: dict | None = None):
        """A request to a path beside ``/api`` (``apis/...``) with the client's session,
        auth, TLS and timeout, raising grafana-client's error types."""
        client = self.api.client
        base = client.url[: -len("api")]
        try:
            response = client.s.request(method, base + path.lstrip("/"), json=json, params=params,
                                        auth=client.auth, verify=client.verify,
                                        timeout=client.timeout)
        except niquests.exceptions.Timeout:
            raise GrafanaTimeoutError(None, None, "timeout") from None
        return client._extract_from_response(response, False)

    # --- classic /api
    def search(self, what: str, **query) -> list[dict]:
        hits: list[dict] = []
        page = 1
        while True:
            batch = self.call(what, lambda p=page: self.api.search.search_dashboards(
                type_="dash-db", limit=SEARCH_LIMIT, page=p, **query)) or []
            hits += batch
            if len(batch) < SEARCH_LIMIT:
                return hits
            page += 1

    def read_dashboard(self, uid: str) -> dict | None:
        """``{"dashboard", "meta"}`` or None; :class:`V2Stored` for a v2-saved dashboard,
        which Grafana 12.1+ answers with 406 "dashboard api version not supported, use
        /apis/dashboard.grafana.app/<version>/namespaces/<ns>/dashboards/<uid> instead"
        (pkg/api/dashboard.go ``GetDashboard``)."""
        def read():
            try:
                return self.api.dashboard.get_dashboard(uid)
            except GrafanaClientError as exc:
                if exc.status_code == 406:
                    raise V2Stored(uid, _version_in(str(exc.message))) from None
                if exc.status_code == 404:
                    return None
                raise
        return self.call(f"read dashboard {uid}", read)

    def read_folder(self, uid: str) -> dict | None:
        return self.get(f"read folder {uid}", lambda: self.api.folder.get_folder(uid))

    def datasources(self) -> list[dict]:
        return self.call("list datasources", self.api.datasource.list_datasources) or []

    def read_datasource(self, uid: str) -> dict | None:
        return self.get(f"read datasource {uid}",
                        lambda: self.api.datasource.get_datasource_by_uid(uid))

    def namespace(self) -> str:
        """``default`` for org 1, ``org-<id>`` otherwise: Grafana's on-prem namespace
        mapping (pkg/services/apiserver/endpoints/request/namespace.go
        ``GetNamespaceMapper``)."""
        with self._lock:
            if self._namespace is None:
                org = self.settings.org_id
                if org is None:
                    current = self.call("read organisation",
                                        self.api.organization.get_current_organization)
                    org = int((current or {}).get("id") or 1)
                self._namespace = "default" if org == 1 else f"org-{org}"
            return self._namespace

    # --- Kubernetes-style /apis (Grafana 12+)
    def dashboard_versions(self) -> set[str]:
        """Versions of ``dashboard.grafana.app`` that ``GET /apis`` (the APIGroupList of
        Kubernetes discovery) lists; empty before Grafana 12 (404) or without the group."""
        def read():
            try:
                return self.request("get", "apis")
            except GrafanaClientError as exc:
                if exc.status_code == 404:
                    return None
                raise
        groups = (self.call("discover /apis", read) or {}).get("groups") or []
        return {v.get("version", "") for g in groups if g.get("name") == GROUP
                for v in g.get("versions") or []}

    def object_path(self, version: str, uid: str = "") -> str:
        base = f"apis/{GROUP}/{version}/namespaces/{self.namespace()}/dashboards"
        return f"{base}/{quote(uid, safe='')}" if uid else base

    def list_dashboards(self, version: str, label_selector: str) -> list[dict]:
        """Every dashboard carrying the label, one paginated LIST (``limit``, ``continue``)."""
        items: list[dict] = []
        params = {"labelSelector": label_selector, "limit": str(LIST_LIMIT)}
        while True:
            page = self.call("list dashboards", lambda p=dict(params): self.request(
                "get", self.object_path(version), params=p)) or {}
            items += page.get("items") or []
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items
            params["continue"] = token

    def get_object(self, version: str, uid: str) -> dict | None:
        return self.get(f"read dashboard {uid} ({version})",
                        lambda: self.request("get", self.object_path(version, uid)))

    def write_object(self, version: str, obj: dict, *, create: bool) -> dict:
        """POST (create) or PUT (update, with ``metadata.resourceVersion``) an object. A
        403 about a manager (pkg/storage/unified/apistore/managed.go) is this object's
        failure, not the token's: :class:`ManagerError`."""
        uid = obj["metadata"]["name"]

        def write():
            try:
                if create:
                    return self.request("post", self.object_path(version), json=obj)
                return self.request("put", self.object_path(version, uid), json=obj)
            except GrafanaClientError as exc:
                text = str((exc.response or {}).get("message", "")
                           if isinstance(exc.response, dict) else exc.message)
                if exc.status_code == 403 and "manager" in text.lower():
                    raise ManagerError(f"{'create' if create else 'update'} dashboard {uid}: "
                                       f"403 {text}") from None
                raise
        return self.call(f"{'create' if create else 'update'} dashboard {uid}", write)

    def delete_object(self, version: str, uid: str) -> None:
        self.call(f"delete dashboard {uid}",
                  lambda: self.request("delete", self.object_path(version, uid)))


def _version_in(message: str) -> str:
    """The version in a 406's "use /apis/dashboard.grafana.app/<version>/..." hint."""
    marker = f"/apis/{GROUP}/"
    if marker in message:
        return message.split(marker, 1)[1].split("/", 1)[0]
    return "v2"
