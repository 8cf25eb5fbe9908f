"""Classic dashboards: ``/api/dashboards/db``, ``/api/dashboards/uid/<uid>`` and versions.

Follows Grafana's HTTP API as read in Grafana's source (docs/grafana-api.md): the
11.3–12.x ("E2") behaviour by default — 412 ``version-mismatch`` on a stale save, every
save bumps the version — and, with ``era="E3"``, 13.x's 409 "Dashboard already exists"
and generation-style versions that only move when the content changes.

Provisioned and managed dashboards, as Grafana reports and refuses them:

* ``provision(uid)``: file provisioning without ``allowUiUpdates``. GET says
  ``meta.provisioned: true`` (pkg/api/dashboard.go ``GetDashboard``); a save answers 400
  ``{"message": "Cannot save provisioned dashboard"}`` and a delete 400
  ``{"message": "provisioned dashboard cannot be deleted"}``
  (pkg/services/dashboards/errors.go, mapped by pkg/api/apierrors/dashboard.go).
* ``manage(uid, kind, identity)``: a Grafana 12+ manager annotation
  (``grafana.app/managedBy``/``managerId``/``managerAllowsEdits``,
  pkg/apimachinery/utils/manager.go), visible through ``/apis`` (:mod:`.apis`). Grafana's
  storage does not stop a legacy save of a terraform- or kubectl-managed dashboard
  (pkg/storage/unified/apistore/managed.go: "TODO: check the kubectl+terraform
  resource"), so neither does the classic API here.
* ``save_as_v2(uid)``: what a save in Grafana 13's UI does, storing the dashboard as
  schema v2. A classic GET then answers 406 "dashboard api version not supported, use
  /apis/dashboard.grafana.app/<version>/namespaces/<ns>/dashboards/<uid> instead"
  (pkg/api/dashboard.go ``GetDashboard``, "v2 is not supported in /api", and its test
  pkg/api/dashboard_test.go); with ``legacy_v2 = "convert"`` it answers the lossy v1
  down-conversion mcp-grafana PR #937 describes instead.

``ui_edit`` saves a dashboard the way Grafana's UI does, keeping only the keys the UI knows.
"""

from __future__ import annotations

import copy
import json
import time

from tests.support.grafana_double.common import UI_KEYS, UID_RE, Raw, content, slugify


class Dashboards:
    ROUTES = (
        (r"POST /api/dashboards/db", "save_dashboard"),
        (r"GET /api/dashboards/uid/([^/]+)", "get_dashboard"),
        (r"DELETE /api/dashboards/uid/([^/]+)", "delete_dashboard"),
        (r"GET /api/dashboards/uid/([^/]+)/versions", "versions"),
    )

    #: "406" (pkg/api/dashboard.go) or "convert" (mcp-grafana PR #937's description).
    legacy_v2 = "406"

    # --- test helpers
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


    def save_as_v2(self, uid: str, version: str = "v2beta1") -> None:
        """Save as Grafana 13's UI does: stored as schema v2 (tabs layout), version bumped."""
        with self.lock:
            stored = self.dashboards[uid]
            # what a read at v1 converts back to: the keys the UI knows (no marker)
            data = {k: v for k, v in copy.deepcopy(stored["data"]).items() if k in UI_KEYS}
            stored["api_version"] = version
            stored["v2spec"] = {"title": data.get("title", ""), "elements": {},
                                "layout": {"kind": "TabsLayout", "spec": {"tabs": []}}}
            self._store(stored, data, message="", bump=True)

    # --- storage
    def _store(self, stored: dict, data: dict, message: str, bump: bool) -> None:
        if bump:
            stored["version"] += 1
        stored["rv"] = self.next_rv()
        # A stored dashboard is replaced on every save, never modified in place, so the
        # version history can share it (the request body it came from is not reused).
        data = dict(data)
        data["id"], data["uid"], data["version"] = stored["id"], stored["uid"], stored["version"]
        stored["data"] = data
        stored["updated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        stored["versions"].insert(0, {"version": stored["version"], "message": message,
                                      "created": stored["updated"], "data": data})


    def _new_dashboard(self, uid: str, folder_uid: str) -> dict:
        stored = {"id": next(self._ids), "uid": uid, "version": 0, "folderUid": folder_uid,
                  "versions": [], "created": "", "provisioned": False, "api_version": "v1",
                  "annotations": {}, "labels": {}}
        self.dashboards[uid] = stored
        return stored

    # --- HTTP
    def save_dashboard(self, body=None, **_):
        """``POST /api/dashboards/db`` (pkg/api/dashboard.go ``PostDashboard``)."""
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
            content_changed = content(existing["data"]) != content(d)
            bump = self.era == "E2" or content_changed or existing["folderUid"] != folder_uid
            existing["folderUid"] = folder_uid
            existing["api_version"] = "v1"  # a classic save stores v1 (a v2 layout is gone)
            existing.pop("v2spec", None)
            self._store(existing, d, body.get("message") or "", bump)
            stored = existing
        else:
            uid = uid or f"gen{next(self._ids):011d}"
            stored = self._new_dashboard(uid, folder_uid)
            self._store(stored, d, body.get("message") or "", bump=True)
        slug = slugify(title)
        return 200, {"id": stored["id"], "uid": stored["uid"], "url": f"/d/{stored['uid']}/{slug}",
                     "status": "success", "version": stored["version"], "slug": slug,
                     "folderUid": folder_uid}

    def get_dashboard(self, uid, **_):
        stored = self.dashboards.get(uid)
        if not stored:
            return 404, {"message": "Dashboard not found", "traceID": ""}
        if stored["api_version"].startswith("v2") and self.legacy_v2 == "406":
            url = f"/apis/dashboard.grafana.app/{stored['api_version']}/namespaces/default/dashboards/{uid}"
            return 406, {"message": f"dashboard api version not supported, use {url} instead"}
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
        return 200, Raw(json.dumps({"dashboard": stored["data"], "meta": meta}))

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

