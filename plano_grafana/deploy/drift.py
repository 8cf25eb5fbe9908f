"""What "the same", "ours" and "changed since we deployed it" mean for a dashboard.

Drift is detected without local state: every dashboard plano-grafana saves carries a
``planoGrafana`` marker with the hash of the content it saved and the folder (the
deployment's scope) it saved it into. If Grafana's copy no longer hashes to that value,
or the marker is gone (Grafana's UI drops unknown keys when a user saves), somebody
changed it after the last deploy. The marker is also what makes a dashboard *ours* for
``--prune``, and its scope keeps one deployment's prune away from another's folder.

The constants live here with the functions that use them, so the sync engine imports
this module and never the other way round.
"""

from __future__ import annotations

import difflib
import hashlib
import json

from plano_grafana.build.jsontext import render
from plano_grafana.model.config import OWNER_TAG

MARKER = "planoGrafana"
#: Keys Grafana sets or manages itself, and our marker: never part of a comparison.
SERVER_KEYS = frozenset({"id", "version", MARKER})
#: ``grafana.app/managedBy`` values (Grafana 12+, pkg/apimachinery/utils/manager.go) that do
#: not stop a deploy: none, Grafana's own objects, and classic file provisioning, for which
#: the legacy ``meta.provisioned`` already says whether Grafana allows API saves
#: (``allowUiUpdates``).
UNMANAGED_KINDS = frozenset({"", "grafana", "classic-file-provisioning"})


#: On the ``/apis`` path the marker lives in the object's metadata, so a dashboard is known
#: as ours, and as unchanged, without reading its spec. The label is Kubernetes' common
#: ``app.kubernetes.io/managed-by`` (a LIST selects on it); the annotations hold the hash
#: and the scope the classic marker holds.
LABEL = "app.kubernetes.io/managed-by"
ANNO_HASH = "plano-grafana/content-hash"
ANNO_SCOPE = "plano-grafana/folder"
#: Our manager identity, the same in every version of this package: Grafana 13.2 refuses a
#: write that changes an object's manager kind or identity (403 "Cannot change resource
#: manager identity", pkg/storage/unified/apistore/managed.go). ``kubectl`` is the kind
#: for a client that applies declared objects through the API
#: (pkg/apimachinery/utils/manager.go): ``repo`` is Git Sync's (Grafana routes writes of
#: such objects to the repository), ``terraform`` would claim a tool we are not.
MANAGER_KIND = "kubectl"
MANAGER_ID = OWNER_TAG
MANAGED_BY, MANAGER_ID_KEY, ALLOWS_EDITS = ("grafana.app/managedBy", "grafana.app/managerId",
                                            "grafana.app/managerAllowsEdits")


def normalise(dashboard: dict) -> dict:
    """The dashboard without the fields Grafana manages (id, version) and our marker.

    A shallow copy: only top-level keys are dropped, nested values are shared and must
    not be modified by the caller.
    """
    return {k: v for k, v in dashboard.items() if k not in SERVER_KEYS}


def content_hash(dashboard: dict) -> str:
    canonical = json.dumps(normalise(dashboard), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def marker(content_hash_: str, scope: str) -> dict:
    """The ownership/drift marker: who saved it, what it hashed to, into which folder."""
    return {"managedBy": OWNER_TAG, "contentHash": content_hash_, "folderUid": scope}


def marked(dashboard: dict, scope: str, digest: str | None = None) -> dict:
    """The dashboard as plano-grafana saves it: content plus the marker."""
    data = normalise(dashboard)
    data[MARKER] = marker(digest or content_hash(dashboard), scope)
    return data


def owned(remote: dict) -> bool:
    """Saved by plano-grafana (the marker is there), whatever happened since."""
    mark = remote.get(MARKER)
    return isinstance(mark, dict) and mark.get("managedBy") == OWNER_TAG


def scope(remote: dict) -> str | None:
    """The folder uid the marker was written for; None for markers older than scopes."""
    mark = remote.get(MARKER)
    value = mark.get("folderUid") if isinstance(mark, dict) else None
    return value if isinstance(value, str) else None


def drifted(remote: dict, digest: str | None = None) -> bool:
    """Changed in Grafana since plano-grafana saved it (or never saved by it)."""
    if not owned(remote):
        return True
    return remote[MARKER].get("contentHash") != (digest or content_hash(remote))


def unified(remote: dict | None, desired: dict | None, name: str) -> str:
    """A unified diff from Grafana's copy to the code's, of the compared content only."""
    old = render(normalise(remote)) if remote is not None else ""
    new = render(normalise(desired)) if desired is not None else ""
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                        fromfile=f"grafana/{name}", tofile=f"code/{name}"))


def manager(k8s_object: dict | None) -> tuple[str, str, bool]:
    """``(kind, identity, allows_edits)`` from a Grafana 12+ ``/apis`` object's annotations."""
    return manager_of(((k8s_object or {}).get("metadata") or {}).get("annotations") or {})


def manager_of(annotations: dict) -> tuple[str, str, bool]:
    return (str(annotations.get(MANAGED_BY, "")), str(annotations.get(MANAGER_ID_KEY, "")),
            str(annotations.get(ALLOWS_EDITS, "")).lower() == "true")


def ours_managed(annotations: dict) -> bool:
    """Managed by plano-grafana's identity (what a write through /apis keeps)."""
    kind, identity, _ = manager_of(annotations)
    return (kind, identity) == (MANAGER_KIND, MANAGER_ID)


def ownership(body: dict, annotations: dict) -> tuple[bool, str | None, str | None]:
    """``(ours, scope, recorded hash)``: from the /apis annotations when they are there,
    else from the classic marker in the body."""
    if annotations.get(ANNO_HASH):
        return True, annotations.get(ANNO_SCOPE), annotations[ANNO_HASH]
    if not owned(body):
        return False, None, None
    return True, scope(body), body[MARKER].get("contentHash")


def metadata(digest: str, scope_: str, folder_uid: str, message: str, lock: bool) -> dict:
    """The ``/apis`` metadata a deploy writes (without name and resourceVersion)."""
    annotations = {MANAGED_BY: MANAGER_KIND, MANAGER_ID_KEY: MANAGER_ID,
                   ALLOWS_EDITS: "false" if lock else "true", ANNO_HASH: digest,
                   ANNO_SCOPE: scope_, "grafana.app/message": message[:500]}
    if folder_uid:
        annotations["grafana.app/folder"] = folder_uid
    return {"labels": {LABEL: OWNER_TAG}, "annotations": annotations}
