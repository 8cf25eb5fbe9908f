"""What Grafana holds: the reads a plan needs, on either API path, and nothing else.

Classic ``/api``: the folder and the datasource list, one search of the target folder
(skipped when the folder does not exist yet), one search by uid for the code's
dashboards that are not in it, then a GET of each dashboard that exists.

``/apis`` (Grafana 13): the folder and the datasource list, then **one paginated LIST**
of every dashboard carrying our label, with its spec, annotations and conversion status;
a search by uid (and a GET each) only for code dashboards the LIST did not return
(deployed before by the classic path, or by hand). A no-op costs the LIST pages plus a
handful of requests, whatever the number of dashboards.
"""

from __future__ import annotations

import attr
from grafana_client.client import GrafanaClientError

from plano_grafana.deploy import drift
from plano_grafana.deploy.client import Client, V2Stored, uid_chunks
from plano_grafana.deploy.model import Desired, RemoteDashboard
from plano_grafana.deploy.plan import folder_name
from plano_grafana.model.config import OWNER_TAG


@attr.s
class Remote:
    folder: dict | None = attr.ib()
    datasources: list[dict] = attr.ib()
    #: uid -> Grafana's copy: the code's that exist and, with prune, the candidates.
    dashboards: dict[str, RemoteDashboard] = attr.ib(factory=dict)


def read(client: Client, desired: Desired, *, prune: bool, api: str) -> Remote:
    folder, datasources = client.map(lambda step: step(), (
        lambda: client.read_folder(desired.folder_uid) if desired.folder_uid else {},
        client.datasources))
    remote = Remote(folder, datasources)
    exists = folder is not None
    remote.dashboards = (_apis(client, desired, prune) if api == "apis"
                         else _classic(client, desired, exists, prune))
    return remote


def _classic(client: Client, desired: Desired, folder_exists: bool,
             prune: bool) -> dict[str, RemoteDashboard]:
    hits = _hits(client, desired, folder_exists=folder_exists, prune=prune)
    uids = sorted(hits)
    found = client.map(lambda uid: _read_classic(client, uid, hits[uid]), uids)
    return {uid: d for uid, d in zip(uids, found, strict=True) if d is not None}


def _read_classic(client: Client, uid: str, hit: dict) -> RemoteDashboard | None:
    try:
        remote = client.read_dashboard(uid)
    except V2Stored as exc:
        return RemoteDashboard({}, folder_uid=hit.get("folderUid") or "", stored_v2=exc.version)
    if remote is None:
        return None
    body, meta = remote.get("dashboard") or {}, remote.get("meta") or {}
    return RemoteDashboard(body, folder_uid=meta.get("folderUid") or "",
                           version=body.get("version"), provisioned=bool(meta.get("provisioned")),
                           provisioned_id=meta.get("provisionedExternalId") or "")


def _hits(client: Client, desired: Desired, *, folder_exists: bool,
          prune: bool, skip: frozenset = frozenset()) -> dict[str, dict]:
    """Search hits of the dashboards worth reading: the code's (wherever they are) and,
    with ``prune``, every other one in the target folder (only the marker, not a tag a
    user's module may lack, says whether it is ours)."""
    hits: dict[str, dict] = {}
    if folder_exists:
        scope = ({"folder_uids": [desired.folder_uid]} if desired.folder_uid
                 else {"folder_ids": [0]})  # 0: the root ("General") folder
        for hit in client.search(f"search folder {folder_name(desired.folder_uid)}", **scope):
            uid = hit.get("uid")
            if prune or uid in desired.dashboards:
                hits[uid] = hit
    elsewhere = [uid for uid in sorted(desired.dashboards) if uid not in hits and uid not in skip]
    for chunk in uid_chunks(elsewhere):
        for hit in client.search("search dashboards by uid", dashboard_uids=chunk):
            if hit.get("uid") in desired.dashboards:
                hits[hit["uid"]] = hit
    return hits


def from_object(obj: dict) -> RemoteDashboard:
    """An ``/apis`` dashboard object (read at v1) as the plan sees it."""
    meta = obj.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    body = dict(obj.get("spec") or {})
    body["uid"] = meta.get("name", "")
    stored = str(((obj.get("status") or {}).get("conversion") or {}).get("storedVersion") or "")
    kind, _, allows = drift.manager_of(annotations)
    return RemoteDashboard(
        body, folder_uid=annotations.get("grafana.app/folder", ""),
        version=meta.get("resourceVersion"), annotations=annotations,
        provisioned=kind == "classic-file-provisioning" and not allows,
        provisioned_id=annotations.get("grafana.app/sourcePath", ""),
        stored_v2=stored if stored.startswith("v2") else "")


def _apis(client: Client, desired: Desired, prune: bool) -> dict[str, RemoteDashboard]:
    listed = {o["metadata"]["name"]: from_object(o)
              for o in client.list_dashboards("v1", f"{drift.LABEL}={OWNER_TAG}")}
    found = {uid: d for uid, d in listed.items() if uid in desired.dashboards
             or (prune and d.folder_uid == desired.folder_uid)}
    missing = [uid for uid in sorted(desired.dashboards) if uid not in listed]
    hits = []
    for chunk in uid_chunks(missing):
        hits += [h["uid"] for h in client.search("search dashboards by uid", dashboard_uids=chunk)
                 if h.get("uid") in desired.dashboards]
    objects = client.map(lambda uid: client.get_object("v1", uid), hits)
    found.update({uid: from_object(o) for uid, o in zip(hits, objects, strict=True) if o})
    return found


def k8s_objects(client: Client, uids: list[str]) -> dict[str, dict | None]:
    """Classic path on Grafana 12+: each dashboard's /apis object (v1beta1, which 12.x and
    13.x serve), for its manager and its stored version. A 404 that is not a Kubernetes
    ``Status`` means there is no such API (before 12): nothing more is asked. A token that
    may read dashboards but not the new API (401/403): no manager known, the legacy flags
    still apply."""
    state = {"apis": True}

    def one(uid: str) -> dict | None:
        if not state["apis"]:
            return None

        def read():
            try:
                return client.request("get", client.object_path("v1beta1", uid))
            except GrafanaClientError as exc:
                if exc.status_code == 404 and not (isinstance(exc.response, dict)
                                                   and exc.response.get("kind") == "Status"):
                    state["apis"] = False
                return None
        return client.call(f"read dashboard {uid} manager", read)
    return dict(zip(uids, client.map(one, uids), strict=True))
