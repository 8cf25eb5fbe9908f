"""Kubernetes-style dashboards: ``/apis/dashboard.grafana.app/<version>/namespaces/<ns>/...``.

One store with the classic API (:mod:`.dashboards`): an object's ``spec`` is the stored
classic JSON without ``id``/``uid``/``version``; ``metadata`` carries the annotations
(manager, folder) and labels; ``resourceVersion`` moves on every write.

As read in Grafana's source (or, where marked, in the notes of
../shared/grafana13-kubernetes.md, not in source):

* discovery ``GET /apis`` is Kubernetes' APIGroupList. Which versions: 13 serves the
  dashboard group at ``v1`` (GA), ``v1beta1`` (a thin wrapper), ``v2beta1`` and ``v2``;
  12.x at ``v0alpha1``, ``v1beta1``, ``v2alpha1``, ``v2beta1`` [notes: grafana PR #120748,
  terraform-provider-grafana PR #2633; the registration itself was not read for 13].
* namespace ``default`` is org 1, ``org-<id>`` otherwise
  (pkg/services/apiserver/endpoints/request/namespace.go ``GetNamespaceMapper``).
* a read at another version than the stored one is converted and reports
  ``status.conversion`` ``{failed, storedVersion, error}`` (the dashboard conversion
  package, ``Convert_V2_to_V1`` and friends, pkg/apis/dashboard/conversion in the version
  read).
* LIST pages end at ``limit`` items or once 2 MiB of objects are in the page, with a
  ``metadata.continue`` token (pkg/storage/unified/resource/server.go, ``MaxPageSizeBytes``
  default ``1024 * 1024 * 2``); ``labelSelector`` with ``key=value`` terms.
* create of an existing name: 409 ``AlreadyExists``; update with a stale
  ``metadata.resourceVersion``: 409 ``Conflict`` (Kubernetes' optimistic concurrency).
* changing an object's manager kind, or (for kinds other than terraform) its identity, is a
  403 "Cannot change resource manager kind|identity; remove the existing manager first,
  then add the new one" (pkg/storage/unified/apistore/managed.go
  ``checkManagerPropertiesOnUpdateSpec``).
"""

from __future__ import annotations

import base64
import json

from tests.support.grafana_double.common import Raw, content, k8s_status

GROUP = "dashboard.grafana.app"
MAX_PAGE_BYTES = 1024 * 1024 * 2
MANAGER_KEYS = ("grafana.app/managedBy", "grafana.app/managerId")
_OBJ = r"/apis/dashboard\.grafana\.app/([^/]+)/namespaces/([^/]+)/dashboards"


class Apis:
    ROUTES = (
        (r"GET /apis", "discovery"),
        (rf"GET {_OBJ}", "list_objects"),
        (rf"POST {_OBJ}", "create_object"),
        (rf"GET {_OBJ}/([^/]+)", "get_object"),
        (rf"PUT {_OBJ}/([^/]+)", "update_object"),
        (rf"DELETE {_OBJ}/([^/]+)", "delete_object"),
    )

    def served_versions(self) -> tuple[str, ...]:
        if self.major >= 13:
            return ("v1", "v1beta1", "v2beta1", "v2")
        if self.major == 12:
            return ("v0alpha1", "v1beta1", "v2alpha1", "v2beta1")
        return ()

    def discovery(self, **_):
        groups = [{"name": "playlist.grafana.app",
                   "versions": [{"groupVersion": "playlist.grafana.app/v0alpha1",
                                 "version": "v0alpha1"}]}]
        versions = [{"groupVersion": f"{GROUP}/{v}", "version": v} for v in self.served_versions()]
        if versions:
            groups.append({"name": GROUP, "versions": versions, "preferredVersion": versions[0]})
        return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def _check(self, version: str, namespace: str, uid: str = ""):
        if version not in self.served_versions():
            return 404, {"message": "Not found"}  # no such API: not a k8s Status
        if namespace != "default":
            return 404, k8s_status(404, "NotFound", f'namespaces "{namespace}" not found')
        if uid and uid not in self.dashboards:
            return 404, k8s_status(404, "NotFound", f'dashboards.{GROUP} "{uid}" not found', uid)
        return None

    def to_object(self, stored: dict, version: str) -> dict:
        """The stored dashboard as an object at ``version``, converted when stored at another."""
        annotations = dict(stored.get("annotations") or {})
        if stored["folderUid"]:
            annotations["grafana.app/folder"] = stored["folderUid"]
        stored_at = stored["api_version"]
        family = version[:2]
        spec = (stored["v2spec"] if family == "v2" and stored_at.startswith("v2") else
                content(stored["data"]) if family != "v2" else
                {"title": stored["data"].get("title", ""), "elements": {}, "layout": {}})
        obj = {"apiVersion": f"{GROUP}/{version}", "kind": "Dashboard",
               "metadata": {"name": stored["uid"], "namespace": "default",
                            "resourceVersion": stored["rv"], "generation": stored["version"],
                            "labels": dict(stored.get("labels") or {}),
                            "annotations": annotations},
               "spec": spec}
        if stored_at[:2] != family or (stored_at.startswith("v2") and version != stored_at):
            obj["status"] = {"conversion": {"failed": False, "storedVersion": stored_at}}
        return obj

    def get_object(self, version, namespace, uid, **_):
        error = self._check(version, namespace, uid)
        if error:
            return error
        return 200, Raw(json.dumps(self.to_object(self.dashboards[uid], version)))

    def list_objects(self, version, namespace, query=None, **_):
        error = self._check(version, namespace)
        if error:
            return error
        q = query or {}
        limit = int(q.get("limit", ["0"])[0]) or 10**9
        start = int(base64.b64decode(q["continue"][0]).decode()) if q.get("continue") else 0
        wanted = _selector(q.get("labelSelector", [""])[0])
        names = sorted(u for u, s in self.dashboards.items()
                       if all((s.get("labels") or {}).get(k) == v for k, v in wanted.items()))
        items, size, token = [], 0, ""  # each item serialised once, as the page is sent
        for i, uid in enumerate(names[start:], start):
            items.append(json.dumps(self.to_object(self.dashboards[uid], version)))
            size += len(items[-1])
            if (len(items) >= limit or size >= MAX_PAGE_BYTES) and i + 1 < len(names):
                token = base64.b64encode(str(i + 1).encode()).decode()
                break
        head = json.dumps({"kind": "DashboardList", "apiVersion": f"{GROUP}/{version}",
                           "metadata": {"resourceVersion": str(self._rv_now()),
                                        **({"continue": token} if token else {})}})
        return 200, Raw(f'{head[:-1]}, "items": [{", ".join(items)}]}}')

    def _rv_now(self) -> int:
        return max((int(s["rv"]) for s in self.dashboards.values()), default=0)

    def create_object(self, version, namespace, body=None, **_):
        error = self._check(version, namespace)
        if error:
            return error
        name = ((body or {}).get("metadata") or {}).get("name") or ""
        if not name or not isinstance((body or {}).get("spec"), dict):
            return 400, k8s_status(400, "BadRequest", "metadata.name and spec are required")
        if name in self.dashboards:
            return 409, k8s_status(409, "AlreadyExists",
                                   f'dashboards.{GROUP} "{name}" already exists', name)
        folder = (body["metadata"].get("annotations") or {}).get("grafana.app/folder", "")
        if folder and folder not in self.folders:
            return 400, k8s_status(400, "BadRequest", f"folder {folder} not found")
        stored = self._new_dashboard(name, folder)
        self._write(stored, body, version, folder)
        return 201, self.to_object(stored, version)

    def update_object(self, version, namespace, uid, body=None, **_):
        error = self._check(version, namespace, uid)
        if error:
            return error
        stored = self.dashboards[uid]
        metadata = (body or {}).get("metadata") or {}
        sent_rv = metadata.get("resourceVersion")
        if sent_rv and sent_rv != stored["rv"]:
            return 409, k8s_status(409, "Conflict", f'Operation cannot be fulfilled on dashboards.'
                                   f'{GROUP} "{uid}": the object has been modified; please apply '
                                   "your changes to the latest version and try again", uid)
        refused = _manager_change(stored.get("annotations") or {}, metadata.get("annotations") or {})
        if refused:
            return 403, k8s_status(403, "Forbidden", refused)
        folder = (metadata.get("annotations") or {}).get("grafana.app/folder", "")
        self._write(stored, body, version, folder)
        return 200, self.to_object(stored, version)

    def delete_object(self, version, namespace, uid, **_):
        error = self._check(version, namespace, uid)
        if error:
            return error
        del self.dashboards[uid]
        return 200, {"kind": "Status", "apiVersion": "v1", "status": "Success",
                     "details": {"name": uid, "group": GROUP, "kind": "dashboards"}}

    def _write(self, stored: dict, body: dict, version: str, folder: str) -> None:
        metadata = body.get("metadata") or {}
        annotations = {k: v for k, v in (metadata.get("annotations") or {}).items()
                       if k not in ("grafana.app/folder", "grafana.app/message")}
        changed = content(stored.get("data") or {}) != content(body["spec"])
        stored.update(annotations=annotations, labels=dict(metadata.get("labels") or {}),
                      folderUid=folder, api_version=version if version.startswith("v2") else "v1")
        data = dict(body["spec"])
        if version.startswith("v2"):
            stored["v2spec"] = data
            data = {"title": data.get("title", "")}
        message = (metadata.get("annotations") or {}).get("grafana.app/message", "")
        self._store(stored, data, message, bump=changed or not stored["versions"])


def _selector(text: str) -> dict[str, str]:
    """``key=value[,key=value]`` (the equality terms of a Kubernetes label selector)."""
    terms = [t.split("=", 1) for t in text.split(",") if "=" in t]
    return {k.strip(): v.strip() for k, v in terms}


def _manager_change(old: dict, new: dict) -> str:
    """Grafana 13.2's refusal of a write that changes the manager (the message), or ""."""
    old_kind, old_id = (old.get(k, "") for k in MANAGER_KEYS)
    new_kind, new_id = (new.get(k, "") for k in MANAGER_KEYS)
    if old_kind == "repo" and not new_kind:
        return "Can not remove resource manager from resource"
    if not old_kind or not new_kind:
        return ""
    if new_kind != old_kind:
        return ("Cannot change resource manager kind; remove the existing manager first, then "
                "add the new one")
    if new_kind != "terraform" and new_id != old_id:
        return ("Cannot change resource manager identity; remove the existing manager first, "
                "then add the new one")
    return ""
