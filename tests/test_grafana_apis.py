"""Grafana 13's ``/apis`` path: plan/deploy against the double playing 13.2.1 (or a real
Grafana 13 with ``GRAFANA_URL``/``GRAFANA_TOKEN``; the contract job sets ``GRAFANA_API=apis``).

Request budgets are counted on the double's log: a first deploy at most N + 8 requests,
a no-op the LIST pages plus at most 6 others and nothing per dashboard.
"""

from __future__ import annotations

import json
import re

import pytest

from plano_grafana.deploy import drift
from tests.support.grafana_double import GrafanaDouble
from tests.support.grafana_target import Target, cli, grafana_target, statuses

APIS = "/apis/dashboard.grafana.app/"


@pytest.fixture
def grafana(tmp_path):
    yield from grafana_target(tmp_path, era="E3", version="13.2.1")


def _object(target: Target, uid: str, version: str = "v1") -> dict:
    engine = target.engine(api_path="apis")
    return engine.client.get_object(version, uid)


def _ui_edit(target: Target, uid: str, **changes) -> None:
    """An edit saved through /apis with the object's metadata kept, as Grafana 13's UI
    sends it (the double's ``ui_edit`` also drops the keys the UI does not know)."""
    if target.double:
        target.double.ui_edit(uid, **changes)
        return
    client = target.engine(api_path="apis").client
    obj = client.get_object("v1", uid)
    obj["spec"].update(changes)
    client.write_object("v1", obj, create=False)


def _per_dashboard(log, uids) -> list:
    return [entry for entry in log if any(uid in entry[1] for uid in uids)]


def test_auto_picks_apis_on_13_and_writes_no_classic_dashboard(grafana):
    result = cli(grafana, "deploy", "--api", "auto")
    log = list(grafana.double.log) if grafana.double else []
    assert result.returncode == 0, result.stderr
    assert {statuses(result.stdout)[u] for u in grafana.uids} == {"created"}
    for uid in grafana.uids:
        obj = _object(grafana, uid)
        annotations = obj["metadata"]["annotations"]
        assert obj["metadata"]["name"] == uid
        assert annotations["grafana.app/managedBy"] == "kubectl"
        assert annotations["grafana.app/managerId"] == "plano-grafana"
        assert annotations["grafana.app/managerAllowsEdits"] == "true"
        assert annotations["grafana.app/folder"] == grafana.folder
        assert annotations[drift.ANNO_HASH] == drift.content_hash(grafana.built()[uid])
        assert obj["metadata"]["labels"][drift.LABEL] == "plano-grafana"
    if grafana.double:
        assert not [e for e in log if e[1] == "/api/dashboards/db"]
        posts = [e for e in log if e[0] == "POST" and e[1].startswith(APIS + "v1/namespaces/default/")]
        assert len(posts) == len(grafana.uids)
        assert len(log) <= len(grafana.uids) + 8, log


def test_auto_keeps_classic_on_12_and_apis_there_is_one_line(tmp_path):
    double = GrafanaDouble(version="12.1.0").start()
    try:
        target = Target(double, tmp_path)
        result = cli(target, "deploy", "--api", "auto")
        assert result.returncode == 0, result.stderr
        assert [e for e in double.log if e[:2] == ("POST", "/api/dashboards/db")]
        assert not [e for e in double.log if e[0] == "POST" and e[1].startswith("/apis")]
        double.reset_log()
        refused = cli(target, "deploy", "--api", "apis")
        assert refused.returncode == 1 and double.writes() == []
        assert refused.stderr.count("\n") == 1
        assert "does not serve dashboard.grafana.app/v1" in refused.stderr
    finally:
        double.stop()


def test_noop_redeploy_is_one_list_and_no_request_per_dashboard(grafana):
    double = grafana.need_double()
    assert cli(grafana, "deploy").returncode == 0
    double.reset_log()
    result = cli(grafana, "deploy")
    assert result.returncode == 0, result.stderr
    assert set(statuses(result.stdout).values()) == {"unchanged"}
    assert double.writes() == [] and _per_dashboard(double.log, grafana.uids) == []
    lists = [e for e in double.log if e[1] == APIS + "v1/namespaces/default/dashboards"]
    assert len(lists) == 1 and len(double.log) - len(lists) <= 6, double.log


def test_65_dashboards_of_mixed_sizes_noop_in_at_most_7_requests(grafana):
    double = grafana.need_double()
    base = list(grafana.built().values())
    many = {}
    for i in range(65):  # the shipped ones plus 0-60 KiB: more than one 2 MiB LIST page
        uid = f"pgt-many-{i:02d}{grafana.suffix}"
        many[uid] = dict(base[i % len(base)], uid=uid, title=f"Many {i}",
                         description="x" * (1024 * ((i * 37) % 61)))
    engine = grafana.engine(api_path="apis")
    desired = grafana.desired(many)
    first = engine.apply(engine.plan(desired), desired)
    assert {c.result for c in first.changes if c.kind == "dashboard"} == {"created"}
    assert len(double.log) <= 65 + 8
    double.reset_log()
    engine = grafana.engine(api_path="apis")
    again = engine.apply(engine.plan(desired), desired)
    assert {c.result for c in again.changes} == {"unchanged"}
    lists = [e for e in double.log if e[1].endswith("/dashboards")]
    assert len(lists) >= 2, "the 2 MiB page cap should split the LIST"
    assert len(double.log) <= 7 and _per_dashboard(double.log, many) == [], double.log


def test_one_changed_dashboard_is_one_put_with_its_resource_version(grafana):
    uid = grafana.uids[1]
    built = grafana.built()
    older = dict(built, **{uid: dict(built[uid], title="old title")})
    grafana.deploy_with(older, api_path="apis")
    version = _object(grafana, uid)["metadata"]["resourceVersion"]
    if grafana.double:
        grafana.double.reset_log()
    result = cli(grafana, "deploy")
    assert result.returncode == 0 and statuses(result.stdout)[uid] == "updated"
    assert _object(grafana, uid)["spec"]["title"] == built[uid]["title"]
    if grafana.double:
        assert grafana.double.writes() == [("PUT", f"{APIS}v1/namespaces/default/dashboards/{uid}", 200)]
        assert version != _object(grafana, uid)["metadata"]["resourceVersion"]


def test_lock_sets_manager_allows_edits_false_and_back(grafana):
    uid = grafana.uids[0]
    assert cli(grafana, "deploy", "--lock").returncode == 0
    assert _object(grafana, uid)["metadata"]["annotations"]["grafana.app/managerAllowsEdits"] == "false"
    result = cli(grafana, "deploy")
    assert statuses(result.stdout)[uid] == "adopted"
    assert _object(grafana, uid)["metadata"]["annotations"]["grafana.app/managerAllowsEdits"] == "true"


def test_lock_on_the_classic_path_is_one_line_and_sends_no_write(tmp_path):
    double = GrafanaDouble(version="12.1.0").start()
    try:
        result = cli(Target(double, tmp_path), "deploy", "--lock")
        assert result.returncode == 1 and double.writes() == []
        assert result.stderr.count("\n") == 1 and "--lock" in result.stderr
    finally:
        double.stop()


def test_ui_edit_is_drift_and_force_overwrites(grafana):
    uid = grafana.uids[0]
    assert cli(grafana, "deploy").returncode == 0
    _ui_edit(grafana, uid, title="Edited in the UI")
    refused = cli(grafana, "deploy")
    assert refused.returncode == 3 and statuses(refused.stdout)[uid] == "refused"
    assert "changed in Grafana since plano-grafana deployed it" in refused.stdout
    forced = cli(grafana, "deploy", "--force")
    assert forced.returncode == 0 and statuses(forced.stdout)[uid] == "updated"
    assert _object(grafana, uid)["spec"]["title"] == grafana.built()[uid]["title"]


@pytest.mark.parametrize("api, legacy", [("apis", "406"), ("classic", "406"), ("classic", "convert")])
def test_v2_saved_dashboard_is_never_silently_flattened(grafana, api, legacy):
    double = grafana.need_double()
    double.legacy_v2 = legacy
    uid = grafana.uids[2]
    assert cli(grafana, "deploy", "--api", api).returncode == 0
    double.save_as_v2(uid)
    plan = cli(grafana, "plan", "--api", api)
    line = next(x for x in plan.stdout.splitlines() if f" {uid} " in x)
    assert line.startswith("! drifted") and "saved as v2beta1 in Grafana's UI" in line
    double.reset_log()
    refused = cli(grafana, "deploy", "--api", api)
    assert refused.returncode == 3 and double.writes() == []
    assert double.dashboards[uid]["api_version"] == "v2beta1"
    forced = cli(grafana, "deploy", "--api", api, "--force")
    assert forced.returncode == 0 and statuses(forced.stdout)[uid] == "updated"
    backup = json.loads(next(grafana.backups.glob(f"*/{uid}.json")).read_text())
    assert backup["apiVersion"] == "dashboard.grafana.app/v2beta1"
    assert backup["spec"]["layout"]["kind"] == "TabsLayout"
    assert double.dashboards[uid]["api_version"] == "v1"


def test_another_managers_dashboard_is_one_line_and_the_rest_deploys(grafana):
    double = grafana.need_double()
    uid = grafana.uids[0]
    assert cli(grafana, "deploy").returncode == 0
    double.manage(uid, "terraform", "tf-stack", allows_edits=True)
    result = cli(grafana, "deploy")
    assert result.returncode == 1
    line = next(x for x in result.stdout.splitlines() if f" {uid} " in x)
    assert "managed by terraform (tf-stack)" in line and "remove its manager annotations" in line
    assert {statuses(result.stdout)[u] for u in grafana.uids[1:]} == {"unchanged"}


def test_a_403_from_a_manager_change_fails_that_object_only(grafana):
    double = grafana.need_double()
    built = grafana.built()
    older = {u: dict(d, title=d["title"] + " (old)") for u, d in built.items()}
    grafana.deploy_with(older, api_path="apis")
    engine = grafana.engine(api_path="apis")
    desired = grafana.desired(built)
    plan = engine.plan(desired)
    double.manage(grafana.uids[0], "repo", "git-sync-repo")  # between plan and apply
    result = engine.apply(plan, desired)
    by_name = {c.name: c for c in result.changes}
    failed = by_name[grafana.uids[0]]
    assert failed.result == "failed" and "Cannot change resource manager kind" in failed.detail
    assert failed.detail.count("\n") == 0 and grafana.uids[0] in failed.detail
    assert {by_name[u].result for u in grafana.uids[1:]} == {"updated"}


def test_resource_version_conflict_is_reported_never_overwritten(grafana):
    uid = grafana.uids[0]
    built = grafana.built()
    grafana.deploy_with({**built, uid: dict(built[uid], title="old")}, api_path="apis")
    engine = grafana.engine(api_path="apis")
    desired = grafana.desired(built)
    plan = engine.plan(desired)
    _ui_edit(grafana, uid, description="someone else")
    result = engine.apply(plan, desired)
    change = next(c for c in result.changes if c.name == uid)
    assert change.result == "conflict" and re.search(r"\b409\b", change.detail)
    assert _object(grafana, uid)["spec"]["description"] == "someone else"


def test_lost_create_response_is_accepted(grafana):
    double = grafana.need_double()
    double.inject("POST", r"^/apis/dashboard\.grafana\.app/v1/namespaces/default/dashboards$",
                  status=502, after=True)
    result = cli(grafana, "deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert {statuses(result.stdout)[u] for u in grafana.uids} == {"created"}


def test_classic_deploys_move_to_apis_once_then_no_op(grafana):
    assert cli(grafana, "deploy", "--api", "classic").returncode == 0
    moved = cli(grafana, "deploy", "--api", "apis")
    assert moved.returncode == 0, moved.stdout
    assert {statuses(moved.stdout)[u] for u in grafana.uids} == {"adopted"}
    if grafana.double:
        grafana.double.reset_log()
    again = cli(grafana, "deploy", "--api", "apis")
    assert {statuses(again.stdout)[u] for u in grafana.uids} == {"unchanged"}
    if grafana.double:
        assert grafana.double.writes() == []


def test_prune_on_apis_deletes_only_this_deployments(grafana):
    built = grafana.built()
    retired = f"pgt-retired{grafana.suffix}"
    grafana.deploy_with({**built, retired: dict(built[grafana.uids[0]], uid=retired)},
                        api_path="apis")
    result = cli(grafana, "deploy", "--prune")
    assert result.returncode == 0 and statuses(result.stdout)[retired] == "pruned"
    assert _object(grafana, retired) is None
