"""The plan: pure functions from what the code wants and what Grafana holds to changes.

Nothing here sends a request: :mod:`plano_grafana.deploy.remote` reads Grafana, these
functions classify every object as create, update, adopt, unchanged, drifted,
provisioned, prune or error, with a diff. What "the same", "ours" and "drifted" mean is
:mod:`plano_grafana.deploy.drift`'s business.
"""

from __future__ import annotations

from collections.abc import Iterable

import attr

from plano_grafana.deploy import drift
from plano_grafana.deploy.model import (
    ADOPT,
    CREATE,
    DRIFTED,
    ERROR,
    PROVISIONED,
    PRUNE,
    UNCHANGED,
    UPDATE,
    Change,
    Desired,
    RemoteDashboard,
)

ROOT_TITLE = "General"


def folder_name(uid: str) -> str:
    return repr(uid) if uid else ROOT_TITLE


def datasource_view(ds: dict, keys: Iterable[str]) -> dict:
    """The compared part of a datasource: top-level fields, and only our jsonData keys."""
    view = {k: ds.get(k) for k in ("name", "type", "access", "url")}
    view["jsonData"] = {k: (ds.get("jsonData") or {}).get(k) for k in keys}
    return view


def plan_folder(desired: Desired, remote: dict | None) -> Change:
    if not desired.folder_uid:  # the root ("General") folder always exists
        return Change("folder", ROOT_TITLE, UNCHANGED)
    change = Change("folder", desired.folder_uid, CREATE, title=desired.folder_title)
    if remote is None:
        return change
    if remote.get("title") != desired.folder_title:
        return attr.evolve(change, action=UPDATE, remote_version=remote.get("version"),
                           detail=f"title {remote.get('title')!r} -> {desired.folder_title!r}")
    return attr.evolve(change, action=UNCHANGED)


def plan_datasource(desired: Desired, listed: list[dict]) -> Change:
    uid = desired.config.datasource.uid
    remote = next((d for d in listed if d.get("uid") == uid), None)
    want = desired.datasource(remote)  # keeps Grafana's URL when nobody gave one
    change = Change("datasource", want["uid"], CREATE, title=want["name"], payload=want)
    if remote is None:
        same_name = next((d for d in listed if d.get("name") == want["name"]), None)
        if same_name is not None:
            change.action = ERROR
            change.detail = (f"a datasource named {want['name']!r} already exists with uid "
                             f"{same_name.get('uid')!r}; rename or delete it, this package "
                             f"manages uid {want['uid']!r}")
        return change
    current = datasource_view(remote, want["jsonData"])
    wanted = datasource_view(want, want["jsonData"])
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


def plan_dashboard(desired: Desired, uid: str, remote: RemoteDashboard | None,
                   api: str = "classic") -> Change:
    dashboard = desired.dashboards[uid]
    change = Change("dashboard", uid, CREATE, title=dashboard.get("title", ""),
                    payload=dashboard, digest=drift.content_hash(dashboard))
    if remote is None:
        return change  # a whole new dashboard: the diff would be the file itself
    body = remote.body
    change.remote, change.remote_version, change.stored = body, remote.version, remote
    same_content = drift.normalise(body) == drift.normalise(dashboard)
    same_folder = remote.folder_uid == desired.folder_uid
    moved = "" if same_folder else f"; move from folder {folder_name(remote.folder_uid)}"
    if remote.stored_v2:
        change.action = DRIFTED
        change.detail = _v2_detail(uid, remote.stored_v2)
        if body:
            change.diff = drift.unified(body, dashboard, uid)
        return change
    if remote.provisioned:
        change.action = UNCHANGED
        if not (same_content and same_folder):
            change.action, change.detail = PROVISIONED, provisioned_detail(uid, remote)
            change.diff = drift.unified(body, dashboard, uid)
        return change
    if api == "apis" and (blocked := other_manager(uid, remote.annotations)):
        change.action, change.detail = PROVISIONED, blocked
        return change
    owned, scope, recorded = drift.ownership(body, remote.annotations)
    other_deployment = owned and scope is not None and scope != desired.folder_uid
    marker_current = owned and scope == desired.folder_uid and recorded == change.digest
    if api == "apis":  # the metadata must carry our annotations, with the lock wanted
        marker_current = marker_current and _metadata_current(desired, remote.annotations)
    if same_content and same_folder and marker_current:
        change.action = UNCHANGED
        return change
    if not same_content:
        change.diff = drift.unified(body, dashboard, uid)
    if other_deployment:
        change.action = DRIFTED
        change.detail = (f"deployed by plano-grafana into folder {folder_name(scope)} (another "
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
    elif recorded != drift.content_hash(body):  # hashed only here: the no-op never needs it
        change.action = DRIFTED
        change.detail = "changed in Grafana since plano-grafana deployed it" + moved
    else:
        change.action = UPDATE
        change.detail = moved.lstrip("; ")
    return change


def _metadata_current(desired: Desired, annotations: dict) -> bool:
    return (drift.ours_managed(annotations)
            and drift.manager_of(annotations)[2] is not desired.lock)


def other_manager(uid: str, annotations: dict) -> str:
    """On /apis: the one-line reason a dashboard another manager owns is not written ("" if
    none). Grafana 13.2 refuses any write that changes the manager kind or identity, even
    where the manager allows edits (pkg/storage/unified/apistore/managed.go)."""
    kind, identity, _ = drift.manager_of(annotations)
    if kind in drift.UNMANAGED_KINDS or drift.ours_managed(annotations):
        return ""
    who = f"{kind} ({identity})" if identity else kind
    return (f"{uid} is managed by {who} (grafana.app/managedBy), and Grafana refuses to change "
            f"a manager: change it in {kind}, or remove its manager annotations in Grafana "
            "(or pick another uid), then deploy again")


def plan_prune(desired: Desired, uid: str, remote: RemoteDashboard | None) -> Change | None:
    """A dashboard in the target folder that the code no longer has: ours to delete only
    if its marker names this folder (markers older than scopes: the folder it is in)."""
    if remote is None:
        return None
    body = remote.body
    owned, scope, recorded = drift.ownership(body, remote.annotations)
    in_folder = remote.folder_uid == desired.folder_uid
    if not owned or not in_folder or scope not in (None, desired.folder_uid):
        return None  # someone else's, or another deployment's: never touched
    change = Change("dashboard", uid, PRUNE, title=body.get("title", ""), remote=body,
                    remote_version=remote.version, stored=remote)
    if remote.provisioned:
        change.action, change.detail = PROVISIONED, provisioned_detail(uid, remote)
    elif remote.stored_v2 or recorded != drift.content_hash(body):
        change.action = DRIFTED
        change.detail = ("no longer in code, but changed in Grafana since deployed: not "
                         "pruned without --force")
    return change


def manager_candidates(changes: list[Change]) -> list[Change]:
    """Dashboards whose Grafana 12+ manager must be known before they are written."""
    return [c for c in changes if c.kind == "dashboard" and c.remote is not None
            and c.action in (UPDATE, ADOPT, PRUNE, DRIFTED)]


def refuse_managed(changes: list[Change], objects: dict[str, dict | None]) -> list[Change]:
    """Classic path on Grafana 12+, from each candidate's /apis object: a dashboard stored
    as v2 is drifted (the classic GET may have answered a lossy v1 conversion), and one a
    tool manages (terraform, a Git Sync repository, kubectl, a plugin) is never written
    unless its manager allows edits."""
    out = []
    for change in changes:
        obj = objects.get(change.name) if change.kind == "dashboard" else None
        stored = str((((obj or {}).get("status") or {}).get("conversion") or {})
                     .get("storedVersion") or "")
        if stored.startswith("v2") and change.stored and not change.stored.stored_v2:
            detail = (_v2_detail(change.name, stored) if change.payload is not None else
                      "no longer in code, but saved as v2 in Grafana's UI since: not pruned "
                      "without --force")
            out.append(attr.evolve(change, action=DRIFTED, detail=detail,
                                   stored=attr.evolve(change.stored, stored_v2=stored)))
            continue
        kind, identity, allows_edits = drift.manager(obj)
        if kind in drift.UNMANAGED_KINDS or allows_edits:
            out.append(change)
            continue
        who = f"{kind} ({identity})" if identity else kind
        out.append(attr.evolve(change, action=PROVISIONED, detail=(
            f"provisioned: managed by {who} (grafana.app/managedBy); change it there, or "
            f"release it from {kind} in Grafana, then deploy again")))
    return out


def _v2_detail(uid: str, version: str) -> str:
    return (f"{uid} was saved as {version} in Grafana's UI (schema v2); not written, a v1 "
            "save would drop its v2 layout. --force overwrites it after backing up the stored "
            "v2 object")


def provisioned_detail(uid: str, remote: RemoteDashboard) -> str:
    source = remote.provisioned_id or "a provisioning file"
    return (f"provisioned: Grafana provisions {uid} from {source} and refuses API saves "
            "(400 Cannot save provisioned dashboard); change that file, or remove the dashboard "
            "from provisioning, then deploy again")
