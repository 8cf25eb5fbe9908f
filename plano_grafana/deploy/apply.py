"""Apply: write what a plan says, and return the results as a new plan.

The plan given is never modified: each object's outcome is a copy of its change with
``result`` (and, when forced, ``action``) set. Only creates, updates, adoptions and
prunes write; drifted objects only with ``force``.

Safety in a Grafana other teams share:

* Grafana's copy of a dashboard is saved (:mod:`plano_grafana.deploy.backups`) before it
  is overwritten or deleted; a v2-saved one as the stored v2 object, read at its
  stored version, so nothing of its layout is lost;
* a create whose response was lost (a 5xx after Grafana stored it, then a retry answered
  409/412) is re-read and accepted when Grafana holds what was sent;
* on ``/apis`` a write carries ``metadata.resourceVersion``: a 409 is re-read, retried
  once when only Grafana's bookkeeping moved, and otherwise reported, never forced;
* a 403 about another manager fails that object only; a 401/403 of the token stops all.

Once ``client.stop`` is set (SIGINT/SIGTERM) no further write starts; the result holds the
objects that were done, and ``interrupted`` says how many of how many.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import attr

from plano_grafana.deploy import drift
from plano_grafana.deploy.backups import Backups
from plano_grafana.deploy.client import GROUP, Client
from plano_grafana.deploy.grafana_api import AuthError, ConflictError, GrafanaError
from plano_grafana.deploy.model import (
    CREATE,
    DONE,
    DRIFTED,
    PROVISIONED,
    PRUNE,
    UNCHANGED,
    UPDATE,
    Change,
    Desired,
    Plan,
)
from plano_grafana.deploy.plan import datasource_view


def forced(change: Change, force: bool) -> Change:
    if change.action == DRIFTED and force:
        return attr.evolve(change, action=PRUNE if change.payload is None else UPDATE,
                           detail="forced over changes made in Grafana")
    return change


class Applier:
    """Writes one plan's changes through ``client``."""

    def __init__(self, client: Client, desired: Desired, backups: Backups, *,
                 force: bool = False, api: str = "classic"):
        self.client, self.desired, self.backups = client, desired, backups
        self.force, self.api = force, api
        self._lock = threading.Lock()

    def run(self, plan: Plan, on_done: Callable[[Change], None] | None = None) -> Plan:
        if plan.errors:
            first = plan.errors[0]
            raise GrafanaError(f"{first.kind} {first.name}: {first.detail}")
        changes = [forced(c, self.force) for c in plan.changes]

        def one(change: Change) -> Change:
            result = self.one(change)
            if on_done:
                with self._lock:
                    on_done(result)
            return result

        # the folder and datasource first (dashboards live in one and query the other)
        done = self.client.map(one, [c for c in changes if c.kind != "dashboard"])
        if not self.client.stop.is_set():
            done += self.client.map(one, [c for c in changes if c.kind == "dashboard"])
        results = [c for c in done if c is not None]
        interrupted = (len(results), len(changes)) if len(results) < len(changes) else None
        backup_dir = str(self.backups.path) if self.backups.path else ""
        return Plan(results, backup_dir=backup_dir, api=plan.api, interrupted=interrupted)

    def one(self, change: Change) -> Change:
        if change.action in (UNCHANGED, DRIFTED, PROVISIONED):
            result = {UNCHANGED: "unchanged", DRIFTED: "refused"}.get(change.action, PROVISIONED)
            return attr.evolve(change, result=result)
        try:
            getattr(self, f"_write_{change.kind}")(change)
            return attr.evolve(change, result=DONE[change.action])
        except AuthError:
            raise  # the next write would fail the same way: stop at once
        except ConflictError as exc:
            return attr.evolve(change, result="conflict", detail=str(exc))
        except GrafanaError as exc:  # including another manager's 403 (ManagerError)
            return attr.evolve(change, result="failed", detail=str(exc))

    # --- folder and datasource (classic /api on both paths)
    def _write_folder(self, change: Change) -> None:
        api, desired = self.client.api, self.desired
        if change.action != CREATE:
            self.client.call(f"update folder {change.name}", lambda: api.folder.update_folder(
                desired.folder_uid, title=desired.folder_title, version=change.remote_version,
                overwrite=self.force))
            return
        try:
            self.client.call(f"create folder {change.name}", lambda: api.folder.create_folder(
                desired.folder_title, uid=desired.folder_uid))
        except ConflictError:
            # 409 (or 412 on 12.x) after a lost response: our own create landed if Grafana
            # now holds this uid with the title we sent.
            remote = self.client.read_folder(desired.folder_uid)
            if remote is None or remote.get("title") != desired.folder_title:
                raise

    def _write_datasource(self, change: Change) -> None:
        api, body, uid = self.client.api, dict(change.payload or {}), change.name
        if change.action != CREATE:
            body["version"] = (self.client.read_datasource(uid) or {}).get("version") or 0
            self.client.call(f"update datasource {uid}",
                             lambda: api.datasource.update_datasource_by_uid(uid, body))
            return
        try:
            self.client.call(f"create datasource {uid}",
                             lambda: api.datasource.create_datasource(body))
        except ConflictError:
            remote = self.client.read_datasource(uid)
            keys = body.get("jsonData") or {}
            if remote is not None and datasource_view(remote, keys) == datasource_view(body, keys):
                return  # our own create landed before its response was lost
            if remote is None:
                same_name = self.client.get(
                    f"read datasource {body['name']!r}",
                    lambda: api.datasource.get_datasource_by_name(body["name"]))
                if same_name is not None:
                    raise GrafanaError(f"create datasource {uid}: a datasource named "
                                       f"{body['name']!r} already exists with uid "
                                       f"{same_name.get('uid')!r}") from None
            raise

    # --- dashboards
    def _write_dashboard(self, change: Change) -> None:
        if change.remote is not None:
            self._backup(change)
        if self.api == "apis":
            self._write_object(change)
            return
        if change.action == PRUNE:
            self.client.call(f"delete dashboard {change.name}",
                             lambda: self.client.api.dashboard.delete_dashboard(change.name))
            return
        desired = self.desired
        dashboard = drift.marked(change.payload, desired.folder_uid, change.digest)
        dashboard["uid"] = change.name
        if change.remote is not None:
            dashboard["version"] = change.remote_version
        overwrite = self.force or bool(change.stored and change.stored.stored_v2)
        payload = {"dashboard": dashboard, "folderUid": desired.folder_uid,
                   "message": desired.message[:500], "overwrite": overwrite}
        try:
            self.client.call(f"save dashboard {change.name}",
                             lambda: self.client.api.dashboard.update_dashboard(payload))
        except ConflictError:
            # A retried save whose first attempt landed conflicts with itself: accept it
            # when Grafana now holds exactly what we sent; otherwise someone else saved.
            remote = self.client.read_dashboard(change.name) or {}
            body, meta = remote.get("dashboard") or {}, remote.get("meta") or {}
            if (remote and not drift.drifted(body)
                    and drift.normalise(body) == drift.normalise(change.payload)
                    and drift.scope(body) == desired.folder_uid
                    and (meta.get("folderUid") or "") == desired.folder_uid):
                return
            raise

    def _object(self, change: Change, resource_version: str | None) -> dict:
        desired = self.desired
        metadata = {"name": change.name, **drift.metadata(
            change.digest, desired.folder_uid, desired.folder_uid, desired.message, desired.lock)}
        if resource_version:
            metadata["resourceVersion"] = resource_version
        spec = drift.normalise(change.payload)
        spec["uid"] = change.name
        return {"apiVersion": f"{GROUP}/v1", "kind": "Dashboard", "metadata": metadata,
                "spec": spec}

    def _write_object(self, change: Change) -> None:
        """POST or PUT through /apis; a 409 is re-read: our own lost write is accepted, a
        resourceVersion that only Grafana moved is retried once, anything else reported."""
        if change.action == PRUNE:
            self.client.delete_object("v1", change.name)
            return
        create = change.remote is None
        version = None if create or self.force else change.remote_version
        if self.force and not create:  # overwrite what is there now (backed up just before)
            version = ((self.client.get_object("v1", change.name) or {}).get("metadata")
                       or {}).get("resourceVersion")
        for attempt in (1, 2):
            try:
                self.client.write_object("v1", self._object(change, version), create=create)
                return
            except ConflictError:
                current = self.client.get_object("v1", change.name)
                if current is None or attempt == 2:
                    raise
                ann = (current.get("metadata") or {}).get("annotations") or {}
                body = dict(current.get("spec") or {}, uid=change.name)
                ours = ann.get(drift.ANNO_HASH)
                if (ours == change.digest == drift.content_hash(body)
                        and ann.get("grafana.app/folder", "") == self.desired.folder_uid):
                    return  # our own write landed before its response was lost
                untouched = ours and ours == drift.content_hash(body) == (
                    drift.content_hash(change.remote) if change.remote else None)
                if create or not untouched:
                    raise
                version = current["metadata"].get("resourceVersion")

    def _backup(self, change: Change) -> None:
        """Save Grafana's copy before it is overwritten or deleted; no copy, no write.

        A v2-saved dashboard is saved as the stored object, read at its stored version.
        With ``force`` the save does not check the version, so the copy is read again
        right before it: whatever was there last is what gets saved."""
        if not self.backups.enabled:
            return
        stored_v2 = change.stored.stored_v2 if change.stored else ""
        if stored_v2:
            obj = self.client.get_object(stored_v2, change.name)
            if obj is None:
                raise GrafanaError(f"back up dashboard {change.name}: cannot read it at "
                                   f"{GROUP}/{stored_v2}; not written")
            self.backups.save(change.name, obj)
            return
        body = change.remote
        if self.force:
            if self.api == "apis":
                current = self.client.get_object("v1", change.name)
                body = dict(current.get("spec") or {}, uid=change.name) if current else body
            else:
                body = (self.client.read_dashboard(change.name) or {}).get("dashboard") or body
        self.backups.save(change.name, body)
