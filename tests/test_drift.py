"""drift.py: what "the same", "ours", "drifted" and "managed by another tool" mean."""

from __future__ import annotations

from plano_grafana.deploy import drift


def test_marker_records_hash_and_scope_and_survives_server_fields(dashboards):
    d = dashboards[0]
    saved = drift.marked(d, "teamx")
    assert drift.owned(saved) and drift.scope(saved) == "teamx" and not drift.drifted(saved)
    as_grafana_returns_it = dict(saved, id=17, version=4)  # server-managed keys ignored
    assert not drift.drifted(as_grafana_returns_it)
    assert drift.drifted(dict(saved, title="edited"))
    ui_saved = {k: v for k, v in saved.items() if k != drift.MARKER}
    assert not drift.owned(ui_saved) and drift.drifted(ui_saved)


def test_markers_from_before_scopes_have_no_scope(dashboards):
    old = dict(dashboards[0], planoGrafana={"managedBy": "plano-grafana",
                                            "contentHash": drift.content_hash(dashboards[0])})
    assert drift.owned(old) and drift.scope(old) is None and not drift.drifted(old)


def test_normalise_is_shallow_and_leaves_the_input_alone(dashboards):
    d = dict(dashboards[0], id=3, version=9)
    out = drift.normalise(d)
    assert "id" not in out and "version" not in out and d["id"] == 3


def test_manager_from_grafana_12_annotations():
    obj = {"metadata": {"annotations": {"grafana.app/managedBy": "repo",
                                        "grafana.app/managerId": "infra-git",
                                        "grafana.app/managerAllowsEdits": "true"}}}
    assert drift.manager(obj) == ("repo", "infra-git", True)
    assert drift.manager({"metadata": {}}) == ("", "", False)
    assert drift.manager(None) == ("", "", False)
    assert "classic-file-provisioning" in drift.UNMANAGED_KINDS and "terraform" not in drift.UNMANAGED_KINDS
