"""The Grafana sync engine: plan what differs, then apply only that.

Data flows one way: compiled dashboards (and the datasource and folder they need) form
the desired state; :func:`plan` reads Grafana and classifies every object as create,
update, unchanged, drifted, prune or error, with a diff; :func:`apply` writes only the
creates, updates and prunes, so a deploy with nothing to do makes no write request.

Drift is detected without local state: every dashboard this package saves carries a
``planoGrafana`` block with the hash of the content it saved. If Grafana's copy no
longer hashes to that value, or the block is gone (Grafana's UI drops unknown keys when
a user saves), somebody changed it after the last deploy, and it is refused unless
``force``. The same block is what marks a dashboard as owned for ``prune``.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import subprocess
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import attr
from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError

from plano_grafana import grafana_objects
from plano_grafana.config import DEFAULT, OWNER_TAG, Config
from plano_grafana.grafana_api import AuthError, ConflictError, GrafanaError, Settings, call
from plano_grafana.jsontext import render

MARKER = "planoGrafana"
#: Keys Grafana sets or manages itself; never part of a comparison.
SERVER_KEYS = ("id", "version", MARKER)
WORKERS = 8

CREATE, UPDATE, UNCHANGED, DRIFTED, PRUNE, ERROR = (
    "create", "update", "unchanged", "drifted", "prune", "error")
DONE = {CREATE: "created", UPDATE: "updated", PRUNE: "pruned"}


@attr.s
class Change:
    """One object's planned (and, after apply, actual) outcome."""

    kind: str = attr.ib()  # datasource | folder | dashboard
    name: str = attr.ib()
    action: str = attr.ib()
    title: str = attr.ib(default="")
    detail: str = attr.ib(default="")
    diff: str = attr.ib(default="")
    result: str = attr.ib(default="")  # after apply: created/updated/pruned/unchanged/refused/failed
    remote_version: int | None = attr.ib(default=None, repr=False)
    payload: dict | None = attr.ib(default=None, repr=False)

    @property
    def writes(self) -> bool:
        return self.action in (CREATE, UPDATE, PRUNE)


@attr.s
class Desired:
    dashboards: dict[str, dict] = attr.ib()  # uid -> compiled JSON
    prometheus_url: str = attr.ib(default="http://prometheus:9090")
    scrape_interval: str = attr.ib(default="15s")
    folder_uid: str = attr.ib(default=DEFAULT.folder.uid)
    folder_title: str = attr.ib(default=DEFAULT.folder.title)
    message: str = attr.ib(default="plano-grafana deploy")
    config: Config = attr.ib(default=DEFAULT)

    def datasource(self) -> dict:
        return grafana_objects.datasource(self.config, self.prometheus_url, self.scrape_interval)


@attr.s
class Plan:
    changes: list[Change] = attr.ib(factory=list)

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.writes]

    @property
    def drifted(self) -> list[Change]:
        return [c for c in self.changes if c.action == DRIFTED]

    @property
    def errors(self) -> list[Change]:
        return [c for c in self.changes if c.action == ERROR]


def default_message() -> str:
    """The version message of a deploy: it names the git commit the dashboards came from."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"plano-grafana deploy of commit {sha}" if sha else "plano-grafana deploy"


def normalise(dashboard: dict) -> dict:
    """A dashboard without the fields Grafana manages (id, version) and our marker."""
    data = copy.deepcopy(dashboard)
    for key in SERVER_KEYS:
        data.pop(key, None)
    return data


def content_hash(dashboard: dict) -> str:
    canonical = json.dumps(normalise(dashboard), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def marked(dashboard: dict) -> dict:
    """The dashboard as this package saves it: content plus the ownership/drift marker."""
    data = normalise(dashboard)
    data[MARKER] = {"managedBy": OWNER_TAG, "contentHash": content_hash(dashboard)}
    return data


def owned(remote: dict) -> bool:
    marker = remote.get(MARKER)
    return isinstance(marker, dict) and marker.get("managedBy") == OWNER_TAG


def drifted(remote: dict) -> bool:
    """Changed in Grafana since this package saved it (or never saved by it)."""
    return not owned(remote) or remote[MARKER].get("contentHash") != content_hash(remote)


def unified(remote: dict | None, desired: dict | None, name: str) -> str:
    old = render(normalise(remote)) if remote is not None else ""
    new = render(normalise(desired)) if desired is not None else ""
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                        fromfile=f"grafana/{name}", tofile=f"code/{name}"))


class Engine:
    """Plans and applies the desired state against one Grafana."""

    def __init__(self, settings: Settings, api: GrafanaApi):
        self.settings = settings
        self.api = api

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

    # --- plan
    def plan(self, desired: Desired, *, prune: bool = False) -> Plan:
        changes = [self._plan_folder(desired), self._plan_datasource(desired)]
        with ThreadPoolExecutor(WORKERS) as pool:
            changes += list(pool.map(lambda item: self._plan_dashboard(desired, *item),
                                     sorted(desired.dashboards.items())))
        if prune:
            changes += self._plan_prune(desired)
        return Plan(changes)

    def _plan_folder(self, desired: Desired) -> Change:
        if not desired.folder_uid:  # the root ("General") folder always exists
            return Change("folder", "General", UNCHANGED)
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
        want = desired.datasource()
        change = Change("datasource", want["uid"], CREATE, title=want["name"], payload=want)
        remote = self._get(f"read datasource {want['uid']}",
                           lambda: self.api.datasource.get_datasource_by_uid(want["uid"]))
        if remote is None:
            same_name = self._get(f"read datasource {want['name']!r}",
                                  lambda: self.api.datasource.get_datasource_by_name(want["name"]))
            if same_name is not None:
                change.action = ERROR
                change.detail = (f"a datasource named {want['name']!r} already exists with uid "
                                 f"{same_name.get('uid')!r}; rename or delete it, this package "
                                 f"manages uid {want['uid']!r}")
            return change
        current = {k: remote.get(k) for k in ("name", "type", "access", "url")}
        current["jsonData"] = {k: (remote.get("jsonData") or {}).get(k) for k in want["jsonData"]}
        wanted = {k: want[k] for k in current}
        if current == wanted:
            change.action = UNCHANGED
            return change
        want["isDefault"] = bool(remote.get("isDefault"))  # keep the admin's choice
        if remote.get("readOnly"):
            change.action = ERROR
            change.detail = "datasource is provisioned read-only in Grafana and differs from code"
            return change
        change.action, change.remote_version = UPDATE, remote.get("version")
        change.diff = "".join(difflib.unified_diff(
            json.dumps(current, indent=2, sort_keys=True).splitlines(True),
            json.dumps(wanted, indent=2, sort_keys=True).splitlines(True),
            fromfile=f"grafana/datasource/{want['uid']}", tofile=f"code/datasource/{want['uid']}"))
        return change

    def _plan_dashboard(self, desired: Desired, uid: str, dashboard: dict) -> Change:
        change = Change("dashboard", uid, CREATE, title=dashboard.get("title", ""),
                        payload=dashboard)
        remote = self._get(f"read dashboard {uid}", lambda: self.api.dashboard.get_dashboard(uid))
        if remote is None:
            return change  # a whole new dashboard: the diff would be the file itself
        body, meta = remote.get("dashboard", {}), remote.get("meta", {})
        change.remote_version = body.get("version")
        same_content = normalise(body) == normalise(dashboard)
        same_folder = (meta.get("folderUid") or "") == desired.folder_uid
        if same_content and same_folder:
            change.action = UNCHANGED  # even without our marker: Grafana already holds the code
            return change
        change.diff = unified(body, dashboard, uid)
        if drifted(body):
            change.action = DRIFTED
            change.detail = ("changed in Grafana since plano-grafana deployed it"
                             if owned(body) else "exists but was not deployed by plano-grafana "
                             "(or was saved from Grafana's UI since)")
            return change
        change.action = UPDATE
        if not same_folder:
            change.detail = f"move from folder {meta.get('folderUid') or 'General'!r}"
        return change

    def _plan_prune(self, desired: Desired) -> list[Change]:
        hits = self._call("search dashboards", lambda: self.api.search.search_dashboards(
            tag=OWNER_TAG, type_="dash-db", limit=5000))
        out = []
        for hit in sorted(hits, key=lambda h: h.get("uid", "")):
            uid = hit.get("uid")
            if uid in desired.dashboards:
                continue
            remote = self._get(f"read dashboard {uid}", lambda u=uid: self.api.dashboard.get_dashboard(u))
            if remote is None or not owned(remote.get("dashboard", {})):
                continue  # tagged but not ours (a copy saved from the UI): never touched
            body = remote["dashboard"]
            change = Change("dashboard", uid, PRUNE, title=body.get("title", ""))
            if drifted(body):
                change.action = DRIFTED
                change.detail = "no longer in code, but changed in Grafana since deployed: not pruned"
            out.append(change)
        return out

    # --- apply
    def apply(self, plan: Plan, desired: Desired, *, force: bool = False) -> Plan:
        """Write what the plan says; drifted objects only with ``force``."""
        if plan.errors:
            raise GrafanaError(f"{plan.errors[0].kind} {plan.errors[0].name}: "
                               f"{plan.errors[0].detail}")
        for change in plan.changes:
            if change.action == DRIFTED and force:
                change.action = PRUNE if change.payload is None else UPDATE
                change.detail = "forced over changes made in Grafana"
        # the folder and datasource first (dashboards live in one and query the other)
        for change in plan.changes:
            if change.kind != "dashboard":
                self._apply_one(change, desired, force)
        dashboards = [c for c in plan.changes if c.kind == "dashboard"]
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(lambda ch: self._apply_one(ch, desired, force), dashboards))
        return plan

    def _apply_one(self, change: Change, desired: Desired, force: bool) -> None:
        if change.action == UNCHANGED:
            change.result = "unchanged"
            return
        if change.action == DRIFTED:
            change.result = "refused"
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
        if change.action == CREATE:
            self._call(f"create folder {change.name}", lambda: self.api.folder.create_folder(
                desired.folder_title, uid=desired.folder_uid))
        else:
            self._call(f"update folder {change.name}", lambda: self.api.folder.update_folder(
                desired.folder_uid, title=desired.folder_title, version=change.remote_version,
                overwrite=force))

    def _write_datasource(self, change: Change, desired: Desired, force: bool) -> None:
        body = dict(change.payload)
        if change.action == CREATE:
            self._call(f"create datasource {change.name}",
                       lambda: self.api.datasource.create_datasource(body))
        else:
            body["version"] = change.remote_version or 0
            self._call(f"update datasource {change.name}",
                       lambda: self.api.datasource.update_datasource_by_uid(change.name, body))

    def _write_dashboard(self, change: Change, desired: Desired, force: bool) -> None:
        if change.action == PRUNE:
            self._call(f"delete dashboard {change.name}",
                       lambda: self.api.dashboard.delete_dashboard(change.name))
            return
        dashboard = marked(change.payload)
        dashboard["uid"] = change.name
        if change.action == UPDATE:
            dashboard["version"] = change.remote_version
        payload = {"dashboard": dashboard, "folderUid": desired.folder_uid,
                   "message": desired.message[:500], "overwrite": force}
        try:
            self._call(f"save dashboard {change.name}",
                       lambda: self.api.dashboard.update_dashboard(payload))
        except ConflictError:
            # A retried save whose first attempt landed conflicts with itself: accept it
            # when Grafana now holds exactly what we sent; otherwise someone else saved.
            remote = self._get(f"read dashboard {change.name}",
                               lambda: self.api.dashboard.get_dashboard(change.name))
            body = (remote or {}).get("dashboard", {})
            if remote and not drifted(body) and normalise(body) == normalise(change.payload):
                return
            raise


def summary(changes: Iterable[Change], applied: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    for change in changes:
        key = change.result if applied else change.action
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))
