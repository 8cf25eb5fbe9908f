"""Search: ``GET /api/search`` (pkg/api/search.go): ``limit`` at most 5000 (a larger one is
422), ``page``, tags with AND semantics, ``dashboardUIDs``, ``folderUIDs``/``folderIds=0``."""

from __future__ import annotations

from tests.support.grafana_double.common import slugify


class Search:
    ROUTES = ((r"GET /api/search", "search"),)

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

