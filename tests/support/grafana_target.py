"""The Grafana under test for the sync suites: the double, or a real Grafana.

``Target`` is one test's private folder, datasource and dashboard uids in that Grafana;
``cli`` runs plan/deploy as a user would (in-process, through click's runner) and checks that the token
never leaks; ``statuses`` reads the per-object lines. With ``GRAFANA_URL`` and
``GRAFANA_TOKEN`` set the suites run against that Grafana (the contract job), and
``GRAFANA_API`` (classic or apis) chooses the dashboard API path the CLI is given.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from grafana_client.client import GrafanaClientError

from plano_grafana import pipeline
from plano_grafana.deploy import grafana_api, sync
from plano_grafana.model import config
from tests.support.cli import Ran, run, without
from tests.support.grafana_double import UI_KEYS, GrafanaDouble
from tests.support.isolated import MODULES as ISOLATED

CANARY = "glsa_CANARY_5f3c9d0e1b2a48f7a6c4"
REAL = bool(os.environ.get("GRAFANA_URL"))
#: The dashboard API path the suites use on a real Grafana (the contract job sets it).
API = os.environ.get("GRAFANA_API", "classic")
SHIPPED = ("plano-llm-requests", "plano-input-tokens", "plano-output-tokens", "plano-routing",
           "plano-spend")


class Target:
    """The Grafana under test (the double, or a real one from the environment) and this
    test's private folder, datasource and dashboard uids."""

    def __init__(self, double: GrafanaDouble | None, tmp_path: Path):
        self.double = double
        if double:
            double.tokens[CANARY] = ("Editor", 1)
            self.url, self.token = double.url, CANARY
        else:
            self.url, self.token = os.environ["GRAFANA_URL"], os.environ["GRAFANA_TOKEN"]
        tag = uuid.uuid4().hex[:8]
        self.suffix = f"-{tag}"
        self.folder, self.folder_title = f"pgt-{tag}", f"plano-grafana test {tag}"
        self.ds_uid, self.ds_name = f"pgt-ds-{tag}", f"plano-grafana test {tag}"
        self.uids = tuple(u + self.suffix for u in SHIPPED)
        self.config_file = tmp_path / "plano-grafana.toml"
        self.config_file.write_text(
            f'[datasource]\nuid = "{self.ds_uid}"\nname = "{self.ds_name}"\n'
            f'[folder]\nuid = "{self.folder}"\ntitle = "{self.folder_title}"\n')
        self.cfg = config.load(self.config_file)
        self.backups = tmp_path / "backups"

    def args(self) -> list[str]:
        """plan/deploy arguments that select this test's config and dashboards."""
        return ["--config", str(self.config_file), "--no-defaults",
                *(a for m in ISOLATED for a in ("--module", m))]

    def need_double(self) -> GrafanaDouble:
        if not self.double:
            pytest.skip("needs the test double (fault injection, request log or provisioning); "
                        "GRAFANA_URL points at a real Grafana")
        return self.double

    def api(self):
        return self.engine().api

    def engine(self, **kwargs) -> sync.Engine:
        settings = grafana_api.Settings(url=self.url, token=self.token, timeout=5)
        kwargs.setdefault("api_path", API)
        return sync.Engine(settings, grafana_api.connect(settings), **kwargs)

    def built(self) -> dict[str, dict]:
        """The code's dashboards under this test's uids: uid -> JSON."""
        old = os.environ.get("PLANO_TEST_SUFFIX")
        os.environ["PLANO_TEST_SUFFIX"] = self.suffix
        try:
            return {d["uid"]: d for d in pipeline.build(self.cfg, ISOLATED, defaults=False).values()}
        finally:
            if old is None:
                del os.environ["PLANO_TEST_SUFFIX"]
            else:
                os.environ["PLANO_TEST_SUFFIX"] = old

    def desired(self, dashboards: dict[str, dict], folder: str | None = None) -> sync.Desired:
        return sync.Desired(dashboards, folder_uid=folder or self.folder,
                            folder_title=self.folder_title if folder is None else folder,
                            config=self.cfg)

    def deploy(self, dashboards: dict[str, dict], folder: str | None = None) -> sync.Plan:
        """Deploy through the engine (as an earlier run of plano-grafana would have)."""
        engine, desired = self.engine(), self.desired(dashboards, folder)
        return engine.apply(engine.plan(desired), desired)

    def deploy_with(self, dashboards: dict[str, dict], **engine: object) -> sync.Plan:
        """Deploy through an engine made with ``engine``'s arguments (e.g. ``api_path``)."""
        runner, desired = self.engine(**engine), self.desired(dashboards)
        return runner.apply(runner.plan(desired), desired)

    def dashboard(self, uid: str) -> dict | None:
        """Grafana's ``{"dashboard", "meta"}`` for ``uid``, or None."""
        try:
            return self.api().dashboard.get_dashboard(uid)
        except GrafanaClientError as exc:
            if exc.status_code == 404:
                return None
            raise

    def ui_edit(self, uid: str, **changes) -> None:
        """Save as Grafana's UI does: keys the UI does not know (our marker) are dropped."""
        if self.double:
            self.double.ui_edit(uid, **changes)
            return
        current = self.dashboard(uid)
        body = {k: v for k, v in current["dashboard"].items() if k in UI_KEYS}
        body.update(changes)
        self.api().dashboard.update_dashboard({"dashboard": body, "overwrite": True,
                                              "folderUid": current["meta"].get("folderUid", "")})

    def cleanup(self, extra_folders=()) -> None:
        """Remove everything this test made in a real Grafana."""
        api = self.api()
        uids = set(self.uids) | {h["uid"] for f in (self.folder, *extra_folders) for h in
                                 _quiet(lambda f=f: api.search.search_dashboards(folder_uids=[f])) or []}
        for uid in sorted(u for u in uids if self.suffix in u or u.startswith("pgt-")):
            _quiet(lambda u=uid: api.dashboard.delete_dashboard(u))
        for folder in (self.folder, *extra_folders):
            _quiet(lambda f=folder: api.folder.delete_folder(f))
        _quiet(lambda: api.datasource.delete_datasource_by_uid(self.ds_uid))

    def leftovers(self, extra_folders=()) -> list[str]:
        """What of this test is still in Grafana (after :meth:`cleanup`: nothing)."""
        api = self.api()
        hits = api.search.search_dashboards(query="") or []
        found = [h["uid"] for h in hits if self.suffix in h.get("uid", "")
                 or h.get("uid") in (self.folder, *extra_folders)]
        found += [ds["uid"] for ds in api.datasource.list_datasources() if ds["uid"] == self.ds_uid]
        return found


def _quiet(func):
    try:
        return func()
    except GrafanaClientError:
        return None


def grafana_target(tmp_path: Path, **double: object):
    """The body of a test module's ``grafana`` fixture: a Target on a fresh double (made
    with ``double``'s arguments), or on the real Grafana, cleaned up afterwards."""
    if REAL:
        target = Target(None, tmp_path)
        yield target
        extra = (target.folder + "-x",)
        target.cleanup(extra_folders=extra)
        assert target.leftovers(extra) == [], "the test left objects in Grafana"
        return
    server = GrafanaDouble(**double).start()
    yield Target(server, tmp_path)
    server.stop()


def cli(target: Target, *args: str, token: str | None = None, timeout: str = "3",
        isolated: bool = True, **env) -> Ran:
    """Run ``plano-grafana ARGS`` as a user would, in this process (:func:`tests.support.cli.run`),
    with no ``GRAFANA_*`` but what is given here; the token must never be printed."""
    environ: dict[str, str | None] = without("GRAFANA_")
    environ.update({"GRAFANA_URL": target.url,
                    "GRAFANA_TOKEN": target.token if token is None else token,
                    "GRAFANA_TIMEOUT": timeout, "PLANO_TEST_SUFFIX": target.suffix, **env})
    if isolated and args and args[0] in ("plan", "deploy"):
        args = (args[0], *target.args(), *args[1:])
        if "--api" not in args and (API != "classic" or REAL):
            args = (*args, "--api", API)
    if isolated and args and args[0] == "deploy" and "--backup-dir" not in args:
        args = (*args, "--backup-dir", str(target.backups))
    result = run(*args, env=environ)
    assert CANARY not in result.stdout + result.stderr, "the token leaked into the output"
    assert "Traceback" not in result.stderr, result.stderr
    return result


def statuses(output: str) -> dict[str, str]:
    """``{name: status}`` from the one-line-per-object text output."""
    return {m.group(3): m.group(1) for m in
            re.finditer(r"^. (\w+)\s+(folder|datasource|dashboard)\s+(\S+)", output, re.M)}
