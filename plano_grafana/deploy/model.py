"""The sync engine's vocabulary: what one deployment wants (Desired), what will happen to
each object (Change) and all of it together (Plan). Plain data shared by sync, report,
pipeline and the CLI, so none of them has to import the engine to read a result."""

from __future__ import annotations

from collections.abc import Iterable

import attr

from plano_grafana.deploy import grafana_objects
from plano_grafana.model.config import DEFAULT, Config

CREATE, UPDATE, ADOPT, UNCHANGED, DRIFTED, PROVISIONED, PRUNE, ERROR = (
    "create", "update", "adopt", "unchanged", "drifted", "provisioned", "prune", "error")
#: Actions that write to Grafana.
WRITES = (CREATE, UPDATE, ADOPT, PRUNE)
#: Result of a successful write, by action.
DONE = {CREATE: "created", UPDATE: "updated", ADOPT: "adopted", PRUNE: "pruned"}


@attr.s(frozen=True)
class RemoteDashboard:
    """Grafana's copy of one dashboard, as either API path reports it."""

    body: dict = attr.ib()  # the classic JSON (an /apis object's spec, with its uid)
    folder_uid: str = attr.ib(default="")
    #: The classic ``version``, or the /apis ``metadata.resourceVersion``.
    version: int | str | None = attr.ib(default=None)
    provisioned: bool = attr.ib(default=False)
    provisioned_id: str = attr.ib(default="")
    #: /apis ``metadata.annotations`` ({} on the classic path).
    annotations: dict = attr.ib(factory=dict)
    #: The schema version Grafana stores it at when that is v2 (saved in 13's UI), else "".
    stored_v2: str = attr.ib(default="")


@attr.s
class Change:
    """One object's planned (and, after apply, actual) outcome."""

    kind: str = attr.ib()  # datasource | folder | dashboard
    name: str = attr.ib()
    action: str = attr.ib()
    title: str = attr.ib(default="")
    detail: str = attr.ib(default="")
    diff: str = attr.ib(default="")
    #: After apply: created, updated, adopted, pruned, unchanged, refused (drift),
    #: provisioned (Grafana will not let the API write it), conflict or failed.
    result: str = attr.ib(default="")
    remote_version: int | None = attr.ib(default=None, repr=False)
    payload: dict | None = attr.ib(default=None, repr=False)
    remote: dict | None = attr.ib(default=None, repr=False)  # Grafana's copy, as read
    digest: str = attr.ib(default="", repr=False)  # content hash of ``payload``
    stored: RemoteDashboard | None = attr.ib(default=None, repr=False)  # Grafana's, as read

    @property
    def writes(self) -> bool:
        return self.action in WRITES


@attr.s
class Desired:
    """What one deployment wants in Grafana: dashboards by uid, their folder, the datasource."""

    dashboards: dict[str, dict] = attr.ib()  # uid -> compiled JSON
    #: The datasource URL somebody gave; None keeps the one Grafana has (see
    #: :func:`grafana_objects.datasource`).
    prometheus_url: str | None = attr.ib(default=None)
    scrape_interval: str = attr.ib(default="15s")
    folder_uid: str = attr.ib(default=DEFAULT.folder.uid)
    folder_title: str = attr.ib(default=DEFAULT.folder.title)
    message: str = attr.ib(default="plano-grafana deploy")
    config: Config = attr.ib(default=DEFAULT)
    #: ``--lock``: written through ``/apis`` with ``grafana.app/managerAllowsEdits: false``.
    lock: bool = attr.ib(default=False)

    def datasource(self, remote: dict | None = None) -> dict:
        """The datasource to have, given Grafana's copy of it (``remote``, None if absent)."""
        return grafana_objects.datasource(self.config, self.prometheus_url, self.scrape_interval,
                                          remote)


@attr.s
class Plan:
    changes: list[Change] = attr.ib(factory=list)
    #: Where apply saved Grafana's copies before overwriting or deleting them ("" if none).
    backup_dir: str = attr.ib(default="")
    #: The API path dashboards go through: "classic" (/api) or "apis" (/apis, Grafana 13).
    api: str = attr.ib(default="classic")
    #: After an interrupted apply: how many objects were done, of how many.
    interrupted: tuple[int, int] | None = attr.ib(default=None)

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.writes]

    @property
    def drifted(self) -> list[Change]:
        return [c for c in self.changes if c.action == DRIFTED]

    @property
    def errors(self) -> list[Change]:
        return [c for c in self.changes if c.action == ERROR]

    @property
    def blocked(self) -> list[Change]:
        """Objects Grafana will not let the API write: provisioned, or managed by another tool."""
        return [c for c in self.changes if c.action == PROVISIONED]


def summary(changes: Iterable[Change], applied: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    for change in changes:
        key = change.result if applied else change.action
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))
