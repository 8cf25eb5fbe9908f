"""Folders: ``/api/folders`` (pkg/api/folder.go; errors from pkg/api/apierrors/folder.go).

A folder create whose uid exists answers 409 (SQL era) or, with
``folder_exists_status=412``, the 412 ``version-mismatch`` body 12.x's k8s folder path
maps ``AlreadyExists`` to.
"""

from __future__ import annotations

from tests.support.grafana_double.common import UID_RE, slugify


class Folders:
    ROUTES = (
        (r"GET /api/folders", "list_folders"),
        (r"GET /api/folders/([^/]+)", "get_folder"),
        (r"POST /api/folders", "create_folder"),
        (r"PUT /api/folders/([^/]+)", "update_folder"),
        (r"DELETE /api/folders/([^/]+)", "delete_folder"),
    )

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

