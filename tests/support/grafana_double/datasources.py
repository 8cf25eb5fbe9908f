"""Datasources: ``/api/datasources`` (pkg/api/datasources.go): 409 on a duplicate name or
uid, 403 on a read-only (provisioned) one, version checks on update."""

from __future__ import annotations

import copy


class Datasources:
    ROUTES = (
        (r"GET /api/datasources", "list_datasources"),
        (r"GET /api/datasources/uid/([^/]+)", "get_datasource"),
        (r"GET /api/datasources/name/([^/]+)", "get_datasource_by_name"),
        (r"POST /api/datasources", "create_datasource"),
        (r"PUT /api/datasources/uid/([^/]+)", "update_datasource"),
        (r"DELETE /api/datasources/uid/([^/]+)", "delete_datasource"),
    )

    def add_datasource(self, **fields) -> dict:
        with self.lock:
            ds = self._new_datasource(fields)
            self.datasources[ds["uid"]] = ds
            return ds

    def _new_datasource(self, f: dict) -> dict:
        uid = f.get("uid") or f"ds{next(self._ids)}"
        return {"id": next(self._ids), "uid": uid, "orgId": 1, "name": f.get("name") or f["type"],
                "type": f["type"], "access": f["access"], "url": f.get("url", ""),
                "user": "", "database": "", "basicAuth": False, "basicAuthUser": "",
                "withCredentials": False, "isDefault": bool(f.get("isDefault")) or not self.datasources,
                "jsonData": f.get("jsonData") or {}, "secureJsonFields": {}, "version": 1,
                "readOnly": bool(f.get("readOnly", False))}


    def list_datasources(self, **_):
        return 200, sorted(self.datasources.values(), key=lambda d: d["name"].lower())

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

