"""plan/deploy through the real CLI against the Grafana API test double — or a real Grafana.

With ``GRAFANA_URL`` and ``GRAFANA_TOKEN`` set (an Admin service-account token: only
Admin holds ``fixed:datasources:writer``), the same tests run against that Grafana
instead: the contract test of the double (CI runs it against Grafana 11, 12 and 13).
Every test deploys into its own folder, with its own datasource and dashboard uids
(``tests.support.isolated``, a per-test config file), and removes them afterwards, so no
test sees another's objects. Tests that need fault injection, the double's request log
or file provisioning are skipped there, with the reason shown. The Grafana under test
and its helpers are in ``tests/support/grafana_target.py``.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from plano_grafana.deploy import drift, grafana_api, sync
from tests.conftest import REPO
from tests.support.grafana_double import GrafanaDouble
from tests.support.grafana_target import (
    CANARY,
    SHIPPED,
    Target,
    cli,
    grafana_target,
    statuses,
)


@pytest.fixture
def grafana(tmp_path):
    yield from grafana_target(tmp_path)


def test_first_deploy_creates_everything_in_n_plus_6_requests(grafana):
    result = cli(grafana, "deploy")
    assert result.returncode == 0, result.stderr
    requests = list(grafana.double.log) if grafana.double else []
    got = statuses(result.stdout)
    assert {got[u] for u in grafana.uids} == {"created"}
    assert got[grafana.folder] == got[grafana.ds_uid] == "created"
    for uid in grafana.uids:
        stored = grafana.dashboard(uid)
        assert stored["meta"]["folderUid"] == grafana.folder
        assert stored["dashboard"][drift.MARKER]["managedBy"] == "plano-grafana"
        assert stored["dashboard"][drift.MARKER]["folderUid"] == grafana.folder
    if grafana.double:
        d = grafana.double
        ds = d.datasources[grafana.ds_uid]
        assert ds["url"] == "http://prometheus:9090" and ds["jsonData"]["timeInterval"] == "15s"
        assert d.dashboards[grafana.uids[0]]["versions"][0]["message"].startswith("plano-grafana deploy")
        # discovery (GET /apis, --api auto), folder read (404), datasource list, one
        # search by uid, 2 creates, N saves
        assert len(requests) <= len(grafana.uids) + 6, requests


def test_default_deploy_uses_the_shipped_uids_and_folder(grafana):
    double = grafana.need_double()
    result = cli(grafana, "deploy", isolated=False)
    assert result.returncode == 0, result.stderr
    assert set(double.dashboards) == set(SHIPPED) and set(double.folders) == {"plano"}
    assert all(s["folderUid"] == "plano" for s in double.dashboards.values())


def test_noop_redeploy_makes_zero_writes(grafana):
    assert cli(grafana, "deploy").returncode == 0
    if grafana.double:
        grafana.double.reset_log()
    result = cli(grafana, "deploy")
    assert result.returncode == 0, result.stderr
    assert set(statuses(result.stdout).values()) == {"unchanged"}
    assert "Backups" not in result.stdout and not grafana.backups.exists()
    if grafana.double:
        assert grafana.double.writes() == []
        assert grafana.double.log  # it did read


def _deploy_older_code(grafana: Target, uid: str) -> None:
    """Grafana holds a previous deploy of ``uid`` (by this package): code has moved on since."""
    built = grafana.built()
    built[uid] = dict(built[uid], title=built[uid]["title"] + " (old)")
    grafana.deploy(built)


def test_update_of_one_dashboard_sends_the_remote_version(grafana):
    uid = grafana.uids[1]
    _deploy_older_code(grafana, uid)
    plan = cli(grafana, "plan", "--detailed-exitcode")
    assert plan.returncode == 2
    assert '-  "title": "Plano · Input tokens (old)",' in plan.stdout
    before = grafana.dashboard(uid)["dashboard"]["version"]
    if grafana.double:
        grafana.double.reset_log()
    result = cli(grafana, "deploy")
    assert result.returncode == 0, result.stderr
    got = statuses(result.stdout)
    assert got[uid] == "updated"
    assert got[grafana.uids[0]] == got[grafana.uids[2]] == "unchanged"
    assert grafana.dashboard(uid)["dashboard"]["version"] > before
    if grafana.double:
        assert grafana.double.writes() == [("POST", "/api/dashboards/db", 200)]
        assert grafana.double.dashboards[uid]["version"] == before + 1
    assert cli(grafana, "plan", "--detailed-exitcode").returncode == 0


def test_ui_edit_is_refused_with_a_diff_then_forced(grafana):
    uid = grafana.uids[0]
    assert cli(grafana, "deploy").returncode == 0
    grafana.ui_edit(uid, title="Edited in the UI")
    if grafana.double:
        grafana.double.reset_log()
    result = cli(grafana, "deploy")
    assert result.returncode == 3
    assert statuses(result.stdout)[uid] == "refused"
    assert '-  "title": "Edited in the UI",' in result.stdout
    assert "--force" in result.stderr
    assert grafana.dashboard(uid)["dashboard"]["title"] == "Edited in the UI"
    if grafana.double:
        assert grafana.double.writes() == []
    forced = cli(grafana, "deploy", "--force")
    assert forced.returncode == 0, forced.stderr
    assert statuses(forced.stdout)[uid] == "updated"
    assert grafana.dashboard(uid)["dashboard"]["title"] == "Plano · LLM requests"
    assert cli(grafana, "deploy").returncode == 0


def test_ui_save_without_changes_is_not_drift_and_is_marked_again(grafana):
    uid = grafana.uids[1]
    assert cli(grafana, "deploy").returncode == 0
    grafana.ui_edit(uid)  # saved from the UI: marker gone, content the same
    assert drift.MARKER not in grafana.dashboard(uid)["dashboard"]
    if grafana.double:
        grafana.double.reset_log()
    result = cli(grafana, "deploy")
    assert result.returncode == 0 and statuses(result.stdout)[uid] == "adopted"
    assert drift.owned(grafana.dashboard(uid)["dashboard"])
    if grafana.double:
        assert grafana.double.writes() == [("POST", "/api/dashboards/db", 200)]


def test_prune_deletes_only_what_this_deployment_owns(grafana):
    built = grafana.built()
    retired_uid = f"pgt-retired{grafana.suffix}"
    # a team's own module need not tag its dashboards: the marker alone makes them ours
    retired = dict(built[grafana.uids[2]], uid=retired_uid, title=f"Retired {grafana.suffix}",
                   tags=[])
    grafana.deploy({**built, retired_uid: retired})
    # a copy a user saved from the UI keeps the tag but not the ownership marker
    copy_uid = f"pgt-users-copy{grafana.suffix}"
    grafana.api().dashboard.update_dashboard({"dashboard": {
        "uid": copy_uid, "title": f"My copy {grafana.suffix}", "tags": ["plano-grafana"]},
        "folderUid": grafana.folder})
    without = cli(grafana, "deploy")
    assert without.returncode == 0 and grafana.dashboard(retired_uid) is not None
    forced = cli(grafana, "deploy", "--force")  # --force alone never deletes
    assert forced.returncode == 0 and grafana.dashboard(retired_uid) is not None
    result = cli(grafana, "deploy", "--prune")
    assert result.returncode == 0, result.stderr
    assert statuses(result.stdout)[retired_uid] == "pruned"
    assert grafana.dashboard(retired_uid) is None and grafana.dashboard(copy_uid) is not None
    assert copy_uid not in result.stdout
    backup = next(grafana.backups.glob(f"*/{retired_uid}.json"))
    assert json.loads(backup.read_text())["title"] == f"Retired {grafana.suffix}"


def test_prune_is_scoped_to_the_target_folder(grafana):
    """Item 2: another team's deployment, in its own folder, survives our --prune; so does
    a dashboard of theirs that someone moved into our folder."""
    assert cli(grafana, "deploy").returncode == 0
    built = grafana.built()
    theirs, moved = f"pgt-team{grafana.suffix}", f"pgt-team-moved{grafana.suffix}"
    team_folder = grafana.folder + "-x"
    grafana.deploy({theirs: dict(built[grafana.uids[0]], uid=theirs, title=f"Team {theirs}"),
                    moved: dict(built[grafana.uids[1]], uid=moved, title=f"Team {moved}")},
                   folder=team_folder)
    body = grafana.dashboard(moved)["dashboard"]
    grafana.api().dashboard.update_dashboard({"dashboard": body, "folderUid": grafana.folder,
                                              "overwrite": True})  # moved, marker kept
    result = cli(grafana, "deploy", "--prune", "--force")
    assert result.returncode == 0, result.stdout + result.stderr
    assert grafana.dashboard(theirs) is not None and grafana.dashboard(moved) is not None
    assert theirs not in result.stdout and moved not in result.stdout


def test_drifted_retired_dashboard_is_pruned_only_with_force(grafana):
    built = grafana.built()
    retired_uid = f"pgt-retired{grafana.suffix}"
    grafana.deploy({**built, retired_uid: dict(built[grafana.uids[0]], uid=retired_uid,
                                               title=f"Retired {grafana.suffix}")})
    # edited through the API (or the JSON model editor), which keeps the marker
    body = grafana.dashboard(retired_uid)["dashboard"]
    grafana.api().dashboard.update_dashboard({"dashboard": dict(body, description="still used"),
                                              "folderUid": grafana.folder, "overwrite": True})
    refused = cli(grafana, "deploy", "--prune")
    assert refused.returncode == 3 and statuses(refused.stdout)[retired_uid] == "refused"
    assert grafana.dashboard(retired_uid) is not None
    forced = cli(grafana, "deploy", "--prune", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert statuses(forced.stdout)[retired_uid] == "pruned" and grafana.dashboard(retired_uid) is None


def test_backups_are_written_before_overwriting_and_the_run_says_where(grafana):
    """Item 3."""
    uid = grafana.uids[0]
    assert cli(grafana, "deploy").returncode == 0
    grafana.ui_edit(uid, title="Edited in the UI")
    result = cli(grafana, "deploy", "--force", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # machine-clean: the location is a field, and on stderr
    where = Path(report["backup_dir"])
    assert where.parent == grafana.backups and re.fullmatch(r"\d{8}T\d{6}Z(-\d+)?", where.name)
    assert str(where) in result.stderr
    assert sorted(p.name for p in where.iterdir()) == [f"{uid}.json"]
    assert json.loads((where / f"{uid}.json").read_text())["title"] == "Edited in the UI"
    assert grafana.dashboard(uid)["dashboard"]["title"] == "Plano · LLM requests"


def test_backup_failure_means_no_write(grafana, tmp_path):
    uid = grafana.uids[0]
    assert cli(grafana, "deploy").returncode == 0
    grafana.ui_edit(uid, title="Edited in the UI")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    result = cli(grafana, "deploy", "--force", "--backup-dir", str(blocker / "backups"))
    assert result.returncode == 1
    assert statuses(result.stdout)[uid] == "failed" and "backup" in result.stdout
    assert grafana.dashboard(uid)["dashboard"]["title"] == "Edited in the UI"


@pytest.mark.parametrize("exists_status", [409, 412])
def test_lost_create_responses_reconcile_for_folder_and_datasource(tmp_path, exists_status):
    """Item 4: 502 after Grafana stored the folder/datasource, the retry answered 409 (or
    12.x's 412 for folders): re-read, accepted, exit 0, no drift."""
    double = GrafanaDouble(folder_exists_status=exists_status).start()
    try:
        target = Target(double, tmp_path)
        double.inject("POST", r"^/api/folders$", status=502, after=True)
        double.inject("POST", r"^/api/datasources$", status=502, after=True)
        result = cli(target, "deploy")
        assert result.returncode == 0, result.stdout + result.stderr
        got = statuses(result.stdout)
        assert got[target.folder] == got[target.ds_uid] == "created"
        assert ("POST", "/api/folders", exists_status) in double.log
        assert ("POST", "/api/datasources", 409) in double.log
        assert "--force" not in result.stderr and "conflict" not in result.stdout
        assert cli(target, "plan", "--detailed-exitcode").returncode == 0
    finally:
        double.stop()


def test_datasource_create_conflict_with_someone_elses_is_still_an_error(grafana):
    double = grafana.need_double()
    double.inject("POST", r"^/api/datasources$", status=502, after=True)
    original = double.create_datasource

    def racing(body=None, **kw):  # someone else's datasource takes the name meanwhile
        status, out = original(body=body, **kw)
        double.datasources.pop(grafana.ds_uid, None)
        double.add_datasource(name=grafana.ds_name, uid="someone-elses", type="prometheus",
                              access="proxy", url="http://x:9090")
        return status, out
    double.create_datasource = racing
    result = cli(grafana, "deploy")
    assert result.returncode == 1
    assert "already exists with uid 'someone-elses'" in result.stdout


def _import_by_hand(grafana: Target, dashboard: dict) -> None:
    """The README's recipe: jq '{dashboard: ., overwrite: true}' file | curl POST /api/dashboards/db."""
    grafana.api().dashboard.update_dashboard({"dashboard": dashboard, "overwrite": True})


def test_hand_imported_dashboard_equal_to_code_is_adopted(grafana):
    """Item 5: our uid, no marker, same content (in the General folder): adopted."""
    uid = grafana.uids[0]
    _import_by_hand(grafana, grafana.built()[uid])
    plan = cli(grafana, "plan")
    assert statuses(plan.stdout)[uid] == "adopt" and "move from folder General" in plan.stdout
    result = cli(grafana, "deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert statuses(result.stdout)[uid] == "adopted"
    stored = grafana.dashboard(uid)
    assert drift.owned(stored["dashboard"]) and stored["meta"]["folderUid"] == grafana.folder
    assert cli(grafana, "plan", "--detailed-exitcode").returncode == 0


def test_hand_imported_dashboard_that_differs_shows_the_diff(grafana):
    uid = grafana.uids[2]
    _import_by_hand(grafana, dict(grafana.built()[uid], title="Imported and edited"))
    plan = cli(grafana, "plan")
    assert statuses(plan.stdout)[uid] == "drifted"
    assert '-  "title": "Imported and edited",' in plan.stdout
    result = cli(grafana, "deploy")
    assert result.returncode == 3
    assert '-  "title": "Imported and edited",' in result.stdout
    assert grafana.dashboard(uid)["dashboard"]["title"] == "Imported and edited"


def test_provisioned_dashboard_is_never_written(grafana):
    """Item 6: Grafana refuses API saves of file-provisioned dashboards (400 "Cannot save
    provisioned dashboard"); deploy never sends one, says how to resolve, deploys the rest."""
    double = grafana.need_double()
    uid = grafana.uids[0]
    built = grafana.built()
    grafana.deploy({u: dict(d, title=d["title"] + " (old)") for u, d in built.items()})
    double.provision(uid, "plano/llm-requests.json")
    version = double.dashboards[uid]["version"]
    double.reset_log()
    result = cli(grafana, "deploy")
    assert result.returncode == 1
    lines = [ln for ln in result.stdout.splitlines() if uid in ln and "provisioned" in ln]
    assert len(lines) == 1 and "plano/llm-requests.json" in lines[0]
    assert "change that file" in lines[0]
    assert statuses(result.stdout)[grafana.uids[1]] == "updated"
    assert double.dashboards[uid]["version"] == version
    assert [e for e in double.log if e[0] == "POST" and e[2] == 400] == []
    assert uid in result.stderr


def test_dashboard_managed_by_another_tool_is_refused_on_grafana_12(tmp_path):
    double = GrafanaDouble(version="12.1.0").start()
    try:
        target = Target(double, tmp_path)
        uid = target.uids[1]
        _deploy_older_code(target, uid)
        double.manage(uid, "terraform", "tf-grafana")
        before = double.dashboards[uid]["data"]["title"]
        result = cli(target, "deploy")
        assert result.returncode == 1
        line = next(ln for ln in result.stdout.splitlines() if uid in ln)
        assert "provisioned: managed by terraform (tf-grafana)" in line
        assert double.dashboards[uid]["data"]["title"] == before
        assert statuses(result.stdout)[target.uids[0]] == "unchanged"
        double.manage(uid, "terraform", "tf-grafana", allows_edits=True)
        assert cli(target, "deploy").returncode == 0  # the manager allows edits
    finally:
        double.stop()


def _on_terminal(target: Target, *args: str, watch=()) -> tuple[int, bytes, dict, str]:
    """Run the CLI with stdout on a pseudo-terminal: (exit code, output, {watched text:
    when it first appeared}, stderr)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GRAFANA_")}
    environ.update({"PYTHONPATH": REPO, "GRAFANA_URL": target.url, "GRAFANA_TOKEN": target.token,
                    "GRAFANA_TIMEOUT": "10", "PLANO_TEST_SUFFIX": target.suffix})
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "plano_grafana", *args], cwd=REPO,
                            env=environ, stdout=child, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    os.close(child)
    seen, buffer, start = {}, b"", time.monotonic()
    while time.monotonic() - start < 60:
        ready, _, _ = select.select([main], [], [], 0.1)
        if ready:
            try:
                data = os.read(main, 4096)
            except OSError:
                break
            if not data:
                break
            buffer += data
            seen.update({w: time.monotonic() for w in watch
                         if w.encode() in buffer and w not in seen})
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(main)
    return proc.returncode, buffer, seen, proc.stderr.read().decode()


def test_deploy_on_a_terminal_prints_each_line_as_it_is_done(grafana):
    double = grafana.need_double()
    double.inject("POST", r"^/api/datasources$", delay=2.0)
    code, output, seen, stderr = _on_terminal(
        grafana, "deploy", *grafana.args(), "--backup-dir", str(grafana.backups),
        watch=(grafana.folder, grafana.ds_uid))
    assert code == 0, stderr
    # the folder's line was on the terminal while the datasource was still being created
    assert seen[grafana.ds_uid] - seen[grafana.folder] > 1.0
    assert output.count(grafana.folder.encode()) == 1 and b"Applied:" in output


def test_machine_formats_stay_clean_on_a_terminal(grafana):
    grafana.need_double()
    code, output, _, stderr = _on_terminal(grafana, "deploy", *grafana.args(), "--format", "json",
                                           "--backup-dir", str(grafana.backups))
    assert code == 0, stderr
    report = json.loads(output.decode().replace("\r\n", "\n"))
    assert report["applied"] is True and report["summary"] == {"created": len(grafana.uids) + 2}


def test_workers_bound_the_requests_in_flight(grafana):
    double = grafana.need_double()
    double.latency = 0.05
    assert cli(grafana, "deploy", "--workers", "1").returncode == 0
    assert double.max_in_flight == 1
    double.max_in_flight = 0
    grafana.ui_edit(grafana.uids[0], title="x")
    assert cli(grafana, "plan", "--workers", "3").returncode == 0
    assert 1 < double.max_in_flight <= 3


def test_transient_faults_converge(grafana):
    double = grafana.need_double()
    double.inject("GET", r"^/api/folders/", status=429, retry_after=1)
    double.inject("POST", r"^/api/dashboards/db$", status=503, times=2)
    double.inject("GET", r"^/api/datasources$", drop=True)
    double.inject("POST", r"^/api/datasources$", status=502)
    result = cli(grafana, "deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(double.dashboards) == set(grafana.uids)
    assert ("POST", "/api/dashboards/db", 503) in double.log
    assert cli(grafana, "plan", "--detailed-exitcode").returncode == 0


def test_a_save_that_landed_before_a_502_is_not_reported_as_a_conflict(grafana):
    double = grafana.need_double()
    uid = grafana.uids[0]
    _deploy_older_code(grafana, uid)
    double.inject("POST", r"^/api/dashboards/db$", status=502, after=True)
    result = cli(grafana, "deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert statuses(result.stdout)[uid] == "updated"
    assert ("POST", "/api/dashboards/db", 412) in double.log  # the retry met its own save


def test_server_errors_that_persist_fail_the_object(grafana):
    double = grafana.need_double()
    double.inject("POST", r"^/api/dashboards/db$", status=500, times=100)
    result = cli(grafana, "deploy")
    assert result.returncode == 1
    assert "failed" in statuses(result.stdout).values()
    assert f"save dashboard {grafana.uids[0]}: Grafana at " in result.stdout
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


def test_connection_refused_is_clear_and_quick(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    target = Target(GrafanaDouble(), tmp_path)
    target.double.server.server_close()
    target.url = f"http://127.0.0.1:{port}"
    start = time.monotonic()
    result = cli(target, "plan", GRAFANA_RETRIES="1")
    assert time.monotonic() - start < 30
    assert result.returncode == 1
    assert f"connection refused to Grafana at http://127.0.0.1:{port}" in result.stderr


@pytest.mark.parametrize("retries", [0, 2])
def test_timeout_is_reported_with_the_setting_after_the_retries(grafana, retries):
    """Each try waits GRAFANA_TIMEOUT; GRAFANA_RETRIES more tries follow the first (the
    default 4 is the settings' own; 0 and 2 keep this test to seconds)."""
    double = grafana.need_double()
    slow = double.inject("GET", r"^/api/folders/", delay=3, times=20)
    start = time.monotonic()
    result = cli(grafana, "plan", timeout="0.5", GRAFANA_RETRIES=str(retries))
    assert time.monotonic() - start < 30
    assert result.returncode == 1
    assert "did not answer within 0.5s (GRAFANA_TIMEOUT)" in result.stderr
    assert 20 - slow.times == retries + 1  # tries that reached the slow folder lookup


def test_canary_token_never_leaks_even_in_basic_auth_url(grafana):
    double = grafana.need_double()
    real_url = grafana.url
    grafana.url = real_url.replace("http://", f"http://admin:{CANARY}@")
    for args in (["plan", "--format", "json"], ["deploy", "--format", "markdown"], ["deploy"]):
        result = cli(grafana, *args, token="")
        assert result.returncode == 1  # wrong password: 401, and the message must not echo it
    grafana.url = real_url
    assert not double.dashboards
    assert "--token" not in cli(grafana, "deploy", "--help").stdout
    assert CANARY not in repr(grafana_api.Settings.from_env({
        "GRAFANA_URL": real_url.replace("http://", f"http://admin:{CANARY}@"), "GRAFANA_TOKEN": CANARY}))


def _edit_between_plan_and_apply(target: Target, uid: str) -> sync.Change:
    """Code moved on; someone saves ``uid`` in Grafana after the plan read it."""
    _deploy_older_code(target, uid)
    engine = target.engine()
    desired = target.desired(target.built())
    plan = engine.plan(desired)
    target.ui_edit(uid, description="someone else")
    result = engine.apply(plan, desired)
    assert target.dashboard(uid)["dashboard"]["description"] == "someone else"
    assert next(c for c in plan.changes if c.name == uid).result == ""  # the plan is not modified
    return next(c for c in result.changes if c.name == uid)


def test_concurrent_edit_between_plan_and_apply_is_a_conflict(grafana):
    change = _edit_between_plan_and_apply(grafana, grafana.uids[0])
    assert change.result == "conflict" and re.search(r"\b(412|409)\b", change.detail)


def test_grafana_13_conflicts_and_generation_versions(tmp_path):
    double = GrafanaDouble(era="E3").start()
    try:
        target = Target(double, tmp_path)
        assert cli(target, "deploy").returncode == 0
        double.reset_log()
        assert cli(target, "deploy").returncode == 0 and double.writes() == []
        change = _edit_between_plan_and_apply(target, target.uids[2])
        assert change.result == "conflict" and "409" in change.detail
    finally:
        double.stop()


def test_datasource_with_our_name_but_another_uid_is_reported(grafana):
    double = grafana.need_double()
    double.add_datasource(name=grafana.ds_name, uid="someone-elses", type="prometheus",
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
    assert {c["name"] for c in as_json["changes"] if c["kind"] == "dashboard"} == set(grafana.uids)
    markdown = cli(grafana, "plan", "--format", "markdown").stdout
    assert markdown.startswith("### plano-grafana plan") and "| create | dashboard |" in markdown
    assert cli(grafana, "deploy", "--dry-run").returncode == 0
    assert cli(grafana, "plan", "--detailed-exitcode").returncode == 2  # dry run wrote nothing
    if grafana.double:
        assert grafana.double.writes() == []
