"""The Grafana sync engine: plan what differs, then apply only that.

The desired state (compiled dashboards, and the folder and datasource they need) is
compared with Grafana. :meth:`Engine.plan` classifies every object as create, update,
adopt, unchanged, drifted, provisioned, prune or error, with a diff; :meth:`Engine.apply`
writes only the creates, updates, adoptions and prunes, so a deploy with nothing to do
makes no write request. What "the same", "ours" and "drifted" mean is
:mod:`plano_grafana.deploy.drift`'s business.

Reads are few and run concurrently (``workers``): the folder and the datasource list, one
search of the target folder (skipped when the folder does not exist yet), one search by
uid for the code's dashboards that are not in it, then a read of each dashboard that
exists. A first deploy of N dashboards therefore costs N + 5 requests.

Safety in a Grafana other teams share:

* prune only deletes dashboards inside the target folder whose marker names that folder
  as their deployment's scope, and never one changed in Grafana since unless ``force``;
* Grafana's copy of a dashboard is saved to the backup folder before it is overwritten
  or deleted;
* a dashboard Grafana reports as provisioned (``meta.provisioned``), or that Grafana 12+
  says another tool manages (``grafana.app/managedBy``), is never written;
* a create whose response was lost (a 5xx after Grafana stored it, then a retry answered
  409/412) is re-read and accepted when Grafana holds what was sent.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError

from plano_grafana.build.jsontext import render
from plano_grafana.deploy import drift
from plano_grafana.deploy.grafana_api import (
    AuthError,
    ConflictError,
    GrafanaError,
    Settings,
    call,
    get_path,
)
from plano_grafana.deploy.model import (
    ADOPT,
    CREATE,
    DONE,
    DRIFTED,
    ERROR,
    PROVISIONED,
    PRUNE,
    UNCHANGED,
    UPDATE,
    Change,
    Desired,
    Plan,
    summary,
)

__all__ = ["Change", "Desired", "Engine", "Plan", "default_message", "summary"]

WORKERS = 8
#: Grafana's largest search page (a larger ``limit`` is a 422).
SEARCH_LIMIT = 5000
#: Longest query string of one search by uid: 8 KiB request lines pass common proxies.
SEARCH_QUERY_BUDGET = 6000
#: Grafana 12+'s Kubernetes-style dashboard resource, whose annotations name a manager.
K8S_DASHBOARD = "apis/dashboard.grafana.app/v1beta1/namespaces/{namespace}/dashboards/{uid}"
ROOT_TITLE = "General"


def default_message() -> str:
    """The version message of a deploy: it names the git commit the dashboards came from."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"plano-grafana deploy of commit {sha}" if sha else "plano-grafana deploy"


def _folder_name(uid: str) -> str:
    return repr(uid) if uid else ROOT_TITLE


def _uid_chunks(uids: list[str]) -> Iterator[list[str]]:
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


def _datasource_view(ds: dict, keys: Iterable[str]) -> dict:
    """The compared part of a datasource: top-level fields, and only our jsonData keys."""
    view = {k: ds.get(k) for k in ("name", "type", "access", "url")}
    view["jsonData"] = {k: (ds.get("jsonData") or {}).get(k) for k in keys}
    return view


class Engine:
    """Plans and applies the desired state against one Grafana.

    ``workers`` bounds the concurrent requests; ``backup_dir`` (None: no backups) is where
    Grafana's copies go, one ``<UTC timestamp>/`` folder per apply.
    """

    def __init__(self, settings: Settings, api: GrafanaApi, *, workers: int = WORKERS,
                 backup_dir: Path | None = None):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.settings = settings
        self.api = api
        self.workers = workers
        self.backup_dir = backup_dir
        self._lock = threading.Lock()
        self._backup_path: Path | None = None
        self._namespace: str | None = None
        self._apis: bool | None = None  # does this Grafana serve /apis/dashboard.grafana.app?

    # --- plumbing
    def _call(self, what: str, func: Callable):
        return call(self.settings, what, func)

    def _get(self, what: str, func: Callable) -> dict | None:
        """A read that returns None on 404."""
        def read():
            try:
                return func()
            except GrafanaClientError as exc:
                if exc.status_code == 404:
                    return None
                raise
        return self._call(what, read)

    def _map(self, func: Callable, items: Iterable) -> list:
        """``func`` over ``items`` with at most ``workers`` requests in flight, in order."""
        items = list(items)
        if len(items) < 2 or self.workers == 1:
            return [func(item) for item in items]
        with ThreadPoolExecutor(min(self.workers, len(items))) as pool:
            return list(pool.map(func, items))

    def _read_dashboard(self, uid: str) -> dict | None:
        return self._get(f"read dashboard {uid}", lambda: self.api.dashboard.get_dashboard(uid))

    def _search(self, what: str, **query) -> list[dict]:
        hits: list[dict] = []
        page = 1
        while True:
            batch = self._call(what, lambda p=page: self.api.search.search_dashboards(
                type_="dash-db", limit=SEARCH_LIMIT, page=p, **query)) or []
            hits += batch
            if len(batch) < SEARCH_LIMIT:
                return hits
            page += 1

    # --- plan
    def plan(self, desired: Desired, *, prune: bool = False) -> Plan:
        folder, datasource = self._map(lambda step: step(desired),
                                       (self._plan_folder, self._plan_datasource))
        hits = self._existing(desired, folder_exists=folder.action != CREATE, prune=prune)
        wanted = sorted(desired.dashboards)
        reads = [uid for uid in wanted if uid in hits]
        retired = sorted(uid for uid in hits if uid not in desired.dashboards)
        remote = dict(zip(reads + retired, self._map(self._read_dashboard, reads + retired),
                          strict=True))
        changes = [folder, datasource]
        changes += [self._plan_dashboard(desired, uid, remote.get(uid)) for uid in wanted]
        changes += [c for c in (self._plan_prune(desired, uid, remote.get(uid)) for uid in retired)
                    if c is not None]
        self._refuse_managed(changes)
        return Plan(changes)

    def _existing(self, desired: Desired, *, folder_exists: bool, prune: bool) -> dict[str, dict]:
        """Search hits of the dashboards worth reading: the code's (wherever they are) and,
        with ``prune``, every other one in the target folder (only the marker, not a tag a
        user's module may lack, says whether it is ours)."""
        hits: dict[str, dict] = {}
        if folder_exists:
            scope = ({"folder_uids": [desired.folder_uid]} if desired.folder_uid
                     else {"folder_ids": [0]})  # 0: the root ("General") folder
            for hit in self._search(f"search folder {_folder_name(desired.folder_uid)}", **scope):
                uid = hit.get("uid")
                if prune or uid in desired.dashboards:
                    hits[uid] = hit
        elsewhere = [uid for uid in sorted(desired.dashboards) if uid not in hits]
        for chunk in _uid_chunks(elsewhere):
            for hit in self._search("search dashboards by uid", dashboard_uids=chunk):
                if hit.get("uid") in desired.dashboards:
                    hits[hit["uid"]] = hit
        return hits

    def _plan_folder(self, desired: Desired) -> Change:
        if not desired.folder_uid:  # the root ("General") folder always exists
            return Change("folder", ROOT_TITLE, UNCHANGED)
        remote = self._get(f"read folder {desired.folder_uid}",
                           lambda: self.api.folder.get_folder(desired.folder_uid))
        change = Change("folder", desired.folder_uid, CREATE, title=desired.folder_title)
        if remote is None:
            return change
        if remote.get("title") != desired.folder_title:
            change.action, change.remote_version = UPDATE, remote.get("version")
            change.detail = f"title {remote.get('title')!r} -> {desired.folder_title!r}"
            return change
        change.action = UNCHANGED
        return change

    def _plan_datasource(self, desired: Desired) -> Change:
        listed = self._call("list datasources", self.api.datasource.list_datasources) or []
        uid = desired.config.datasource.uid
        remote = next((d for d in listed if d.get("uid") == uid), None)
        want = desired.datasource(remote)
        change = Change("datasource", want["uid"], CREATE, title=want["name"], payload=want)
        if remote is None:
            same_name = next((d for d in listed if d.get("name") == want["name"]), None)
            if same_name is not None:
                change.action = ERROR
                change.detail = (f"a datasource named {want['name']!r} already exists with uid "
                                 f"{same_name.get('uid')!r}; rename or delete it, this package "
                                 f"manages uid {want['uid']!r}")
            return change
        current = _datasource_view(remote, want["jsonData"])
        wanted = _datasource_view(want, want["jsonData"])
        if current == wanted:
            change.action = UNCHANGED
            return change
        want["isDefault"] = bool(remote.get("isDefault"))  # keep the admin's choice
        if remote.get("readOnly"):
            change.action = PROVISIONED
            change.detail = ("provisioned read-only in Grafana and differs from code: change "
                             "Grafana's datasource provisioning file instead")
            return change
        change.action = UPDATE
        change.diff = drift.unified(current, wanted, f"datasource/{want['uid']}")
        return change

    def _plan_dashboard(self, desired: Desired, uid: str, remote: dict | None) -> Change:
        dashboard = desired.dashboards[uid]
        change = Change("dashboard", uid, CREATE, title=dashboard.get("title", ""),
                        payload=dashboard, digest=drift.content_hash(dashboard))
        if remote is None:
            return change  # a whole new dashboard: the diff would be the file itself
        body, meta = remote.get("dashboard") or {}, remote.get("meta") or {}
        change.remote, change.remote_version = body, body.get("version")
        folder = meta.get("folderUid") or ""
        same_content = drift.normalise(body) == drift.normalise(dashboard)
        same_folder = folder == desired.folder_uid
        moved = "" if same_folder else f"; move from folder {_folder_name(folder)}"
        if meta.get("provisioned"):
            change.action = UNCHANGED
            if not (same_content and same_folder):
                change.action, change.detail = PROVISIONED, _provisioned_detail(uid, meta)
                change.diff = drift.unified(body, dashboard, uid)
            return change
        owned, scope = drift.owned(body), drift.scope(body)
        other_deployment = owned and scope is not None and scope != desired.folder_uid
        marker_current = (owned and scope == desired.folder_uid
                          and body[drift.MARKER].get("contentHash") == change.digest)
        if same_content and same_folder and marker_current:
            change.action = UNCHANGED
            return change
        if not same_content:
            change.diff = drift.unified(body, dashboard, uid)
        if other_deployment:
            change.action = DRIFTED
            change.detail = (f"deployed by plano-grafana into folder {_folder_name(scope)} (another "
                             "deployment); --force to move it here")
        elif same_content:
            change.action = ADOPT
            change.detail = ("same as code, marked as deployed by plano-grafana now" if not owned
                             else "same as code, marker brought up to date") + moved
        elif not owned:
            change.action = DRIFTED
            change.detail = ("exists but was not deployed by plano-grafana (imported by hand, or "
                             "saved from Grafana's UI since): review the diff, --force to "
                             "overwrite") + moved
        elif drift.drifted(body):
            change.action = DRIFTED
            change.detail = "changed in Grafana since plano-grafana deployed it" + moved
        else:
            change.action = UPDATE
            change.detail = moved.lstrip("; ")
        return change

    def _plan_prune(self, desired: Desired, uid: str, remote: dict | None) -> Change | None:
        """A dashboard in the target folder that the code no longer has: ours to delete only
        if its marker names this folder (markers older than scopes: the folder it is in)."""
        if remote is None:
            return None
        body, meta = remote.get("dashboard") or {}, remote.get("meta") or {}
        scope = drift.scope(body)
        in_folder = (meta.get("folderUid") or "") == desired.folder_uid
        if not drift.owned(body) or not in_folder or scope not in (None, desired.folder_uid):
            return None  # someone else's, or another deployment's: never touched
        change = Change("dashboard", uid, PRUNE, title=body.get("title", ""), remote=body,
                        remote_version=body.get("version"))
        if meta.get("provisioned"):
            change.action, change.detail = PROVISIONED, _provisioned_detail(uid, meta)
        elif drift.drifted(body):
            change.action = DRIFTED
            change.detail = ("no longer in code, but changed in Grafana since deployed: not "
                             "pruned without --force")
        return change

    # --- Grafana 12+ managers
    def _refuse_managed(self, changes: list[Change]) -> None:
        """Grafana 12+ names the tool that manages a dashboard (terraform, a Git Sync
        repository, kubectl, a plugin); such a dashboard is never written by us."""
        candidates = [c for c in changes if c.kind == "dashboard" and c.remote is not None
                      and c.action in (UPDATE, ADOPT, PRUNE, DRIFTED)]
        managers = self._map(self._manager, [c.name for c in candidates])
        for change, manager in zip(candidates, managers, strict=True):
            kind, identity, allows_edits = manager
            if kind in drift.UNMANAGED_KINDS or allows_edits:
                continue
            who = f"{kind} ({identity})" if identity else kind
            change.action = PROVISIONED
            change.detail = (f"provisioned: managed by {who} (grafana.app/managedBy); change it "
                             f"there, or release it from {kind} in Grafana, then deploy again")

    def _manager(self, uid: str) -> tuple[str, str, bool]:
        if self._apis is False:
            return ("", "", False)
        namespace = self._k8s_namespace()

        def read():
            try:
                return get_path(self.api, K8S_DASHBOARD.format(namespace=namespace, uid=uid))
            except GrafanaClientError as exc:
                if exc.status_code == 404 and not (isinstance(exc.response, dict)
                                                   and exc.response.get("kind") == "Status"):
                    self._apis = False  # before 12: no such API
                # 404 of one object, or a token that may read dashboards but not the new
                # API (401/403): no manager known, the legacy flags still apply
                return None
        return drift.manager(self._call(f"read dashboard {uid} manager", read))

    def _k8s_namespace(self) -> str:
        """``default`` for org 1, ``org-<id>`` otherwise (Grafana's on-prem namespaces)."""
        with self._lock:
            if self._namespace is None:
                org = self.settings.org_id
                if org is None:
                    current = self._call("read organisation",
                                         self.api.organization.get_current_organization)
                    org = int((current or {}).get("id") or 1)
                self._namespace = "default" if org == 1 else f"org-{org}"
            return self._namespace

    # --- apply
    def apply(self, plan: Plan, desired: Desired, *, force: bool = False,
              on_done: Callable[[Change], None] | None = None) -> Plan:
        """Write what the plan says; drifted objects only with ``force``. ``on_done`` is
        called (one at a time) as each object's result is known."""
        if plan.errors:
            raise GrafanaError(f"{plan.errors[0].kind} {plan.errors[0].name}: "
                               f"{plan.errors[0].detail}")
        for change in plan.changes:
            if change.action == DRIFTED and force:
                change.action = PRUNE if change.payload is None else UPDATE
                change.detail = "forced over changes made in Grafana"

        def one(change: Change) -> None:
            self._apply_one(change, desired, force)
            if on_done:
                with self._lock:
                    on_done(change)

        # the folder and datasource first (dashboards live in one and query the other)
        self._map(one, [c for c in plan.changes if c.kind != "dashboard"])
        self._map(one, [c for c in plan.changes if c.kind == "dashboard"])
        plan.backup_dir = str(self._backup_path) if self._backup_path else ""
        return plan

    def _apply_one(self, change: Change, desired: Desired, force: bool) -> None:
        if change.action in (UNCHANGED, DRIFTED, PROVISIONED):
            change.result = {UNCHANGED: "unchanged", DRIFTED: "refused"}.get(change.action,
                                                                              PROVISIONED)
            return
        try:
            getattr(self, f"_write_{change.kind}")(change, desired, force)
            change.result = DONE[change.action]
        except AuthError:
            raise  # the next write would fail the same way: stop at once
        except ConflictError as exc:
            change.result, change.detail = "conflict", str(exc)
        except GrafanaError as exc:
            change.result, change.detail = "failed", str(exc)

    def _write_folder(self, change: Change, desired: Desired, force: bool) -> None:
        if change.action != CREATE:
            self._call(f"update folder {change.name}", lambda: self.api.folder.update_folder(
                desired.folder_uid, title=desired.folder_title, version=change.remote_version,
                overwrite=force))
            return
        try:
            self._call(f"create folder {change.name}", lambda: self.api.folder.create_folder(
                desired.folder_title, uid=desired.folder_uid))
        except ConflictError:
            # 409 (or 412 on 12.x) after a lost response: our own create landed if Grafana
            # now holds this uid with the title we sent.
            remote = self._get(f"read folder {change.name}",
                               lambda: self.api.folder.get_folder(desired.folder_uid))
            if remote is None or remote.get("title") != desired.folder_title:
                raise

    def _write_datasource(self, change: Change, desired: Desired, force: bool) -> None:
        body = dict(change.payload or {})
        uid = change.name
        if change.action != CREATE:
            current = self._call(f"read datasource {uid}",
                                 lambda: self.api.datasource.get_datasource_by_uid(uid))
            body["version"] = (current or {}).get("version") or 0
            self._call(f"update datasource {uid}",
                       lambda: self.api.datasource.update_datasource_by_uid(uid, body))
            return
        try:
            self._call(f"create datasource {uid}", lambda: self.api.datasource.create_datasource(body))
        except ConflictError:
            remote = self._get(f"read datasource {uid}",
                               lambda: self.api.datasource.get_datasource_by_uid(uid))
            keys = body.get("jsonData") or {}
            if remote is not None and _datasource_view(remote, keys) == _datasource_view(body, keys):
                return  # our own create landed before its response was lost
            if remote is None:
                same_name = self._get(f"read datasource {body['name']!r}",
                                      lambda: self.api.datasource.get_datasource_by_name(body["name"]))
                if same_name is not None:
                    raise GrafanaError(f"create datasource {uid}: a datasource named "
                                       f"{body['name']!r} already exists with uid "
                                       f"{same_name.get('uid')!r}") from None
            raise

    def _write_dashboard(self, change: Change, desired: Desired, force: bool) -> None:
        if change.remote is not None:
            self._backup(change, force)
        if change.action == PRUNE:
            self._call(f"delete dashboard {change.name}",
                       lambda: self.api.dashboard.delete_dashboard(change.name))
            return
        dashboard = drift.marked(change.payload, desired.folder_uid, change.digest)
        dashboard["uid"] = change.name
        if change.remote is not None:
            dashboard["version"] = change.remote_version
        payload = {"dashboard": dashboard, "folderUid": desired.folder_uid,
                   "message": desired.message[:500], "overwrite": force}
        try:
            self._call(f"save dashboard {change.name}",
                       lambda: self.api.dashboard.update_dashboard(payload))
        except ConflictError:
            # A retried save whose first attempt landed conflicts with itself: accept it
            # when Grafana now holds exactly what we sent; otherwise someone else saved.
            remote = self._read_dashboard(change.name) or {}
            body, meta = remote.get("dashboard") or {}, remote.get("meta") or {}
            if (remote and not drift.drifted(body)
                    and drift.normalise(body) == drift.normalise(change.payload)
                    and drift.scope(body) == desired.folder_uid
                    and (meta.get("folderUid") or "") == desired.folder_uid):
                return
            raise

    # --- backups
    def _backup(self, change: Change, force: bool) -> None:
        """Save Grafana's copy before it is overwritten or deleted; no copy, no write.

        With ``force`` the save does not check the version, so the copy is read again
        right before it: whatever was there last is what gets saved.
        """
        if self.backup_dir is None:
            return
        body = change.remote
        if force:
            body = (self._read_dashboard(change.name) or {}).get("dashboard") or body
        path = self._backup_folder() / f"{change.name}.json"
        try:
            path.write_text(render(body), encoding="utf-8")
        except OSError as exc:
            raise GrafanaError(f"back up dashboard {change.name} to {path}: {exc.strerror}; "
                               "not written") from None

    def _backup_folder(self) -> Path:
        with self._lock:
            if self._backup_path is None:
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                path, n = self.backup_dir / stamp, 1
                while path.exists():
                    n += 1
                    path = self.backup_dir / f"{stamp}-{n}"
                try:
                    path.mkdir(parents=True)
                except OSError as exc:
                    raise GrafanaError(f"create backup folder {path}: {exc.strerror}; "
                                       "nothing overwritten") from None
                self._backup_path = path
            return self._backup_path


def _provisioned_detail(uid: str, meta: dict) -> str:
    source = meta.get("provisionedExternalId") or "a provisioning file"
    return (f"provisioned: Grafana provisions {uid} from {source} and refuses API saves "
            "(400 Cannot save provisioned dashboard); change that file, or remove the dashboard "
            "from provisioning, then deploy again")
