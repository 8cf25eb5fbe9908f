"""The sync engine: choose the API path, read Grafana, plan, apply.

A thin composition of the deploy's parts, so a caller needs one object:
:mod:`~plano_grafana.deploy.client` (requests, both API paths),
:mod:`~plano_grafana.deploy.remote` (what Grafana holds),
:mod:`~plano_grafana.deploy.plan` (pure classification),
:mod:`~plano_grafana.deploy.apply` (writes, returning results) and
:mod:`~plano_grafana.deploy.backups`.

``api``: ``classic`` (``/api``), ``apis`` (Grafana 13's ``dashboard.grafana.app/v1``) or
``auto``: ``apis`` when ``GET /apis`` lists ``dashboard.grafana.app`` at ``v1`` (Grafana 13),
else classic. Grafana 12 serves only ``v1beta1``/``v0alpha1`` there; ``auto`` keeps the
classic path on 12, whose behaviour (legacy save semantics, ``meta.provisioned``) is the
one this package has always been tested against.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from grafana_client import GrafanaApi

from plano_grafana.deploy import plan as planner
from plano_grafana.deploy import remote as remote_
from plano_grafana.deploy.apply import Applier
from plano_grafana.deploy.backups import Backups
from plano_grafana.deploy.client import GROUP, Client
from plano_grafana.deploy.grafana_api import Settings, redact_url
from plano_grafana.deploy.model import Change, Desired, Plan, summary
from plano_grafana.errors import PlanoGrafanaError

__all__ = ["API_CHOICES", "Change", "Desired", "Engine", "Plan", "default_message", "summary"]

WORKERS = 8
API_CHOICES = ("auto", "classic", "apis")


def default_message() -> str:
    """The version message of a deploy: it names the git commit the dashboards came from."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"plano-grafana deploy of commit {sha}" if sha else "plano-grafana deploy"


class Engine:
    """Plans and applies the desired state against one Grafana.

    ``workers`` bounds the concurrent requests; ``backup_dir`` (None: no backups) is where
    Grafana's copies go, one ``<UTC timestamp>/`` folder per apply; setting ``stop`` makes
    an apply start no further write.
    """

    def __init__(self, settings: Settings, api: GrafanaApi, *, workers: int = WORKERS,
                 backup_dir: Path | None = None, api_path: str = "classic",
                 stop: threading.Event | None = None):
        if api_path not in API_CHOICES:
            raise ValueError(f"api_path must be one of {API_CHOICES}")
        self.client = Client(settings, api, workers=workers, stop=stop)
        self.api, self.settings = api, settings
        self.backup_dir, self.api_path = backup_dir, api_path

    def resolve_api(self) -> str:
        """The API path dashboards go through on this Grafana."""
        if self.api_path == "classic":
            return "classic"
        has_v1 = "v1" in self.client.dashboard_versions()
        if self.api_path == "apis" and not has_v1:
            raise PlanoGrafanaError(
                f"--api apis: Grafana at {redact_url(self.settings.url)} does not serve "
                f"{GROUP}/v1 (GET /apis; Grafana 13 does): use --api classic or --api auto")
        return "apis" if has_v1 else "classic"

    def plan(self, desired: Desired, *, prune: bool = False) -> Plan:
        api = self.resolve_api()
        if desired.lock and api != "apis":
            raise PlanoGrafanaError(
                "--lock sets grafana.app/managerAllowsEdits, which only the /apis path writes: "
                f"Grafana at {redact_url(self.settings.url)} is deployed through /api "
                "(--api apis needs Grafana 13)")
        remote = remote_.read(self.client, desired, prune=prune, api=api)
        changes = [planner.plan_folder(desired, remote.folder),
                   planner.plan_datasource(desired, remote.datasources)]
        changes += [planner.plan_dashboard(desired, uid, remote.dashboards.get(uid), api)
                    for uid in sorted(desired.dashboards)]
        retired = sorted(u for u in remote.dashboards if u not in desired.dashboards)
        changes += [c for c in (planner.plan_prune(desired, uid, remote.dashboards[uid])
                                for uid in retired) if c is not None]
        if api == "classic":
            candidates = [c.name for c in planner.manager_candidates(changes)]
            changes = planner.refuse_managed(changes, remote_.k8s_objects(self.client, candidates))
        return Plan(changes, api=api)

    def apply(self, plan: Plan, desired: Desired, *, force: bool = False,
              on_done: Callable[[Change], None] | None = None) -> Plan:
        """Write what the plan says (drifted objects only with ``force``) and return the
        results; ``on_done`` is called, one at a time, as each object's result is known."""
        applier = Applier(self.client, desired, Backups(self.backup_dir), force=force,
                          api=plan.api)
        return applier.run(plan, on_done)
