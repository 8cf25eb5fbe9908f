"""plan/deploy through the real CLI against the Grafana API test double.

With ``GRAFANA_URL`` and ``GRAFANA_TOKEN`` set, the same tests run against that real
Grafana instead (opt-in; tests that need fault injection or the double's request log
are skipped there, with the reason shown).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest

from plano_grafana import compiler, grafana_api, sync
from tests.conftest import REPO
from tests.support.grafana_double import GrafanaDouble

CANARY = "glsa_CANARY_5f3c9d0e1b2a48f7a6c4"
REAL = bool(os.environ.get("GRAFANA_URL"))


class Target:
    """The Grafana under test: the double, or a real one from the environment."""

    def __init__(self, double: GrafanaDouble | None):
        self.double = double
        if double:
            double.tokens[CANARY] = ("Editor", 1)
            self.url, self.token = double.url, CANARY
        else:
            self.url, self.token = os.environ["GRAFANA_URL"], os.environ["GRAFANA_TOKEN"]

    def need_double(self) -> GrafanaDouble:
        if not self.double:
            pytest.skip("needs the test double (fault injection or request log); "
                        "GRAFANA_URL points at a real Grafana")
        return self.double

    def engine(self) -> sync.Engine:
        settings = grafana_api.Settings(url=self.url, token=self.token, timeout=5)
        return sync.Engine(settings, grafana_api.connect(settings))


@pytest.fixture
def grafana():
    if REAL:
        yield Target(None)
        return
    double = GrafanaDouble().start()
    yield Target(double)
    double.stop()


def cli(target: Target, *args: str, token: str | None = None, timeout: str = "3", **env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GRAFANA_")}
    environ.update({"PYTHONPATH": REPO, "GRAFANA_URL": target.url,
                    "GRAFANA_TOKEN": target.token if token is None else token,
                    "GRAFANA_TIMEOUT": timeout, **env})
    result = subprocess.run([sys.executable, "-m", "plano_grafana", *args], cwd=REPO, env=environ,
                            capture_output=True, text=True, timeout=120)
    assert CANARY not in result.stdout + result.stderr, "the token leaked into the output"
    assert "Traceback" not in result.stderr, result.stderr
    return result


def statuses(output: str) -> dict[str, str]:
    """``{name: status}`` from the one-line-per-object text output."""
    return {m.group(3): m.group(1) for m in
            re.finditer(r"^. (\w+)\s+(folder|datasource|dashboard)\s+(\S+)", output, re.M)}


UIDS = ("plano-llm-requests", "plano-input-tokens", "plano-output-tokens", "plano-routing",
        "plano-spend")


def test_first_deploy_creates_everything(grafana):
    result = cli(grafana, "deploy")
    assert result.returncode == 0, result.stderr
    got = statuses(result.stdout)
    assert {got[u] for u in UIDS} == {"created"} or REAL
    if grafana.double:
        d = grafana.double
        assert set(d.dashboards) == set(UIDS) and set(d.folders) == {"plano"}
        assert all(s["folderUid"] == "plano" for s in d.dashboards.values())
        assert all(s["data"][sync.MARKER]["managedBy"] == "plano-grafana" for s in d.dashboards.values())
        ds = d.datasources["plano-prometheus"]
        assert ds["url"] == "http://prometheus:9090" and ds["jsonData"]["timeInterval"] == "15s"
        assert d.dashboards["plano-llm-requests"]["versions"][0]["message"].startswith("plano-grafana deploy")


def test_noop_redeploy_makes_zero_writes(grafana):
    assert cli(grafana, "deploy").returncode == 0
    if grafana.double:
        grafana.double.reset_log()
    result = cli(grafana, "deploy")
    assert result.returncode == 0, result.stderr
    assert set(statuses(result.stdout).values()) == {"unchanged"}
    if grafana.double:
        assert grafana.double.writes() == []
        assert grafana.double.log  # it did read


def _deploy_older_code(grafana: Target, uid: str) -> None:
    """Grafana holds a previous deploy of ``uid`` (by this package): code has moved on since."""
    built = {d["uid"]: d for d in compiler.build_all().values()}
    built[uid] = dict(built[uid], title=built[uid]["title"] + " (old)")
    engine = grafana.engine()
    desired = sync.Desired(built)
    engine.apply(engine.plan(desired), desired)


def test_update_of_one_dashboard_sends_the_remote_version(grafana):
    _deploy_older_code(grafana, "plano-input-tokens")
    plan = cli(grafana, "plan", "--detailed-exitcode")
    assert plan.returncode == 2
    assert '-  "title": "Plano · Input tokens (old)",' in plan.stdout
    if grafana.double:
        grafana.double.reset_log()
        before = grafana.double.dashboards["plano-input-tokens"]["version"]
    result = cli(grafana, "deploy")
    assert result.returncode == 0, result.stderr
    got = statuses(result.stdout)
    assert got["plano-input-tokens"] == "updated"
    assert got["plano-llm-requests"] == got["plano-output-tokens"] == "unchanged"
    if grafana.double:
        assert grafana.double.writes() == [("POST", "/api/dashboards/db", 200)]
        assert grafana.double.dashboards["plano-input-tokens"]["version"] == before + 1
    assert cli(grafana, "plan", "--detailed-exitcode").returncode == 0


def test_ui_edit_is_refused_with_a_diff_then_forced(grafana):
    double = grafana.need_double()
    assert cli(grafana, "deploy").returncode == 0
    double.ui_edit("plano-llm-requests", title="Edited in the UI")
    double.reset_log()
    result = cli(grafana, "deploy")
    assert result.returncode == 3
    assert statuses(result.stdout)["plano-llm-requests"] == "refused"
    assert '-  "title": "Edited in the UI",' in result.stdout
    assert "--force" in result.stderr
    assert double.writes() == []
    assert double.dashboards["plano-llm-requests"]["data"]["title"] == "Edited in the UI"
    forced = cli(grafana, "deploy", "--force")
    assert forced.returncode == 0, forced.stderr
    assert statuses(forced.stdout)["plano-llm-requests"] == "updated"
    assert double.dashboards["plano-llm-requests"]["data"]["title"] == "Plano · LLM requests"
    assert cli(grafana, "deploy").returncode == 0


def test_ui_save_without_changes_is_not_drift(grafana):
    double = grafana.need_double()
    assert cli(grafana, "deploy").returncode == 0
    double.ui_edit("plano-input-tokens")  # saved from the UI: marker gone, content the same
    assert sync.MARKER not in double.dashboards["plano-input-tokens"]["data"]
    double.reset_log()
    result = cli(grafana, "deploy")
    assert result.returncode == 0 and statuses(result.stdout)["plano-input-tokens"] == "unchanged"
    assert double.writes() == []


def test_prune_deletes_only_what_this_package_owns(grafana):
    double = grafana.need_double()
    built = {d["uid"]: d for d in compiler.build_all().values()}
    retired = dict(built["plano-output-tokens"], uid="plano-retired", title="Retired")
    engine = grafana.engine()
    desired = sync.Desired({**built, "plano-retired": retired})
    engine.apply(engine.plan(desired), desired)
    # a copy a user saved from the UI keeps the tag but not the ownership marker
    engine.api.dashboard.update_dashboard({"dashboard": {
        "uid": "users-copy", "title": "My copy", "tags": ["plano-grafana"]}, "folderUid": "plano"})
    without = cli(grafana, "deploy")
    assert without.returncode == 0 and "plano-retired" in double.dashboards
    result = cli(grafana, "deploy", "--prune")
    assert result.returncode == 0, result.stderr
    assert statuses(result.stdout)["plano-retired"] == "pruned"
    assert "plano-retired" not in double.dashboards and "users-copy" in double.dashboards
    assert "users-copy" not in result.stdout


def test_transient_faults_converge(grafana):
    double = grafana.need_double()
    double.inject("GET", r"^/api/folders/plano$", status=429, retry_after=1)
    double.inject("POST", r"^/api/dashboards/db$", status=503, times=2)
    double.inject("GET", r"^/api/dashboards/uid/plano-input-tokens$", drop=True)
    double.inject("POST", r"^/api/datasources$", status=502)
    result = cli(grafana, "deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(double.dashboards) == set(UIDS)
    assert ("POST", "/api/dashboards/db", 503) in double.log
    assert cli(grafana, "plan", "--detailed-exitcode").returncode == 0


def test_a_save_that_landed_before_a_502_is_not_reported_as_a_conflict(grafana):
    double = grafana.need_double()
    _deploy_older_code(grafana, "plano-llm-requests")
    double.inject("POST", r"^/api/dashboards/db$", status=502, after=True)
    result = cli(grafana, "deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert statuses(result.stdout)["plano-llm-requests"] == "updated"
    assert ("POST", "/api/dashboards/db", 412) in double.log  # the retry met its own save


def test_server_errors_that_persist_fail_the_object(grafana):
    double = grafana.need_double()
    double.inject("POST", r"^/api/dashboards/db$", status=500, times=100)
    result = cli(grafana, "deploy")
    assert result.returncode == 1
    assert "failed" in statuses(result.stdout).values()
    assert "save dashboard plano-llm-requests: Grafana at " in result.stdout
    assert "failed: 500 injected fault" in result.stdout


@pytest.mark.parametrize("token, expected", [
    ("glsa_wrong_token", "rejected the credentials (401 Invalid API key)"),
    ("glsa_viewer_token", "permission denied (403 You'll need additional permissions"),
])
def test_auth_failures_are_one_line_and_write_nothing(grafana, token, expected):
    double = grafana.need_double()
    result = cli(grafana, "deploy", token=token)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert not double.dashboards and not double.folders and not double.datasources
    assert all(status in (401, 403) for _, _, status in double.writes())


def test_connection_refused_is_clear_and_quick():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    target = Target.__new__(Target)
    target.double, target.url, target.token = None, f"http://127.0.0.1:{port}", CANARY
    start = time.monotonic()
    result = cli(target, "plan")
    assert time.monotonic() - start < 30
    assert result.returncode == 1
    assert f"connection refused to Grafana at http://127.0.0.1:{port}" in result.stderr


def test_timeout_is_reported_with_the_setting(grafana):
    double = grafana.need_double()
    double.inject("GET", r"^/api/folders/plano$", delay=3, times=20)
    start = time.monotonic()
    result = cli(grafana, "plan", timeout="0.5")
    assert time.monotonic() - start < 30
    assert result.returncode == 1
    assert "did not answer within 0.5s (GRAFANA_TIMEOUT)" in result.stderr


def test_canary_token_never_leaks_even_in_basic_auth_url(grafana):
    double = grafana.need_double()
    url = grafana.url.replace("http://", f"http://admin:{CANARY}@")
    target = Target.__new__(Target)
    target.double, target.url, target.token = double, url, CANARY
    for args in (["plan", "--format", "json"], ["deploy", "--format", "markdown"], ["deploy"]):
        result = cli(target, *args, token="")
        assert result.returncode == 1  # wrong password: 401, and the message must not echo it
    assert "--token" not in cli(grafana, "deploy", "--help").stdout
    assert CANARY not in repr(grafana_api.Settings.from_env({"GRAFANA_URL": url, "GRAFANA_TOKEN": CANARY}))


def _edit_between_plan_and_apply(target: Target, uid: str) -> sync.Change:
    """Code moved on; someone saves ``uid`` in Grafana after the plan read it."""
    _deploy_older_code(target, uid)
    engine = target.engine()
    desired = sync.Desired({d["uid"]: d for d in compiler.build_all().values()})
    plan = engine.plan(desired)
    target.double.ui_edit(uid, description="someone else")
    engine.apply(plan, desired)
    assert target.double.dashboards[uid]["data"]["description"] == "someone else"
    return next(c for c in plan.changes if c.name == uid)


def test_concurrent_edit_between_plan_and_apply_is_a_conflict(grafana):
    grafana.need_double()
    change = _edit_between_plan_and_apply(grafana, "plano-llm-requests")
    assert change.result == "conflict" and "412" in change.detail


def test_grafana_13_conflicts_and_generation_versions():
    double = GrafanaDouble(era="E3").start()
    try:
        target = Target(double)
        assert cli(target, "deploy").returncode == 0
        double.reset_log()
        assert cli(target, "deploy").returncode == 0 and double.writes() == []
        change = _edit_between_plan_and_apply(target, "plano-output-tokens")
        assert change.result == "conflict" and "409" in change.detail
    finally:
        double.stop()


def test_datasource_with_our_name_but_another_uid_is_reported(grafana):
    double = grafana.need_double()
    double.add_datasource(name="Plano Prometheus", uid="someone-elses", type="prometheus",
                          access="proxy", url="http://x:9090")
    result = cli(grafana, "deploy")
    assert result.returncode == 1
    assert "already exists with uid 'someone-elses'" in result.stderr
    assert double.writes() == [] and len(double.datasources) == 1


def test_invalid_dashboard_means_no_request_at_all(grafana, tmp_path):
    double = grafana.need_double()
    (tmp_path / "bad_dash.py").write_text("def build():\n    raise ValueError('broken')\n")
    environ = {"PYTHONPATH": f"{REPO}{os.pathsep}{tmp_path}"}
    result = cli(grafana, "deploy", "--module", "bad_dash", **environ)
    assert result.returncode == 1 and "dashboard module bad_dash: ValueError: broken" in result.stderr
    assert double.log == []


def test_plan_formats(grafana):
    as_json = json.loads(cli(grafana, "plan", "--format", "json").stdout)
    assert as_json["applied"] is False
    assert {c["name"] for c in as_json["changes"] if c["kind"] == "dashboard"} >= set(UIDS)
    markdown = cli(grafana, "plan", "--format", "markdown").stdout
    assert markdown.startswith("### plano-grafana plan") and "| create | dashboard |" in markdown
    assert cli(grafana, "deploy", "--dry-run").returncode == 0
    if grafana.double:
        assert grafana.double.writes() == []
