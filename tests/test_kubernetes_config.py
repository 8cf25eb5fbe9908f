"""``[kubernetes]``: each key set alone changes only its own objects, and only as it says;
a bad value is one line naming the key."""

from __future__ import annotations

import copy

import pytest

from plano_grafana.build import rules_compiler
from plano_grafana.deploy import kubernetes as kube
from plano_grafana.model import config
from plano_grafana.model.config import ConfigError
from tests.support import yamlload
from tests.support.cli import run


@pytest.fixture(scope="module")
def inputs(compiled):
    return compiled, rules_compiler.build_all(config.DEFAULT)


def build(inputs, table: dict) -> dict[str, dict]:
    cfg = config.parse({"kubernetes": table} if table else {})
    dashboards, rule_files = inputs
    texts = kube.files(dashboards, rule_files, cfg.kubernetes, cfg.folder.title, "15s")
    return {path: yamlload.load(text) for path, text in texts.items()}


def changes(inputs, table: dict) -> dict[str, tuple[dict, dict]]:
    base, new = build(inputs, {}), build(inputs, table)
    assert set(base) == set(new)
    return {p: (base[p], new[p]) for p in base if base[p] != new[p]}


def _set(doc: dict, path: tuple[str, ...], value) -> dict:
    out = copy.deepcopy(doc)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def test_namespace_goes_on_every_object_and_nowhere_else(inputs):
    changed = changes(inputs, {"namespace": "plano"})
    objects = {p for p in build(inputs, {}) if not p.endswith("kustomization.yaml")
               and not p.startswith("plano/")}
    assert set(changed) == objects
    for old, new in changed.values():
        assert new["metadata"]["namespace"] == "plano"
        assert {k: v for k, v in new["metadata"].items() if k != "namespace"} == old["metadata"]
        assert {k: v for k, v in new.items() if k != "metadata"} == \
            {k: v for k, v in old.items() if k != "metadata"}


def test_dashboard_label_changes_only_the_sidecar_label(inputs):
    changed = changes(inputs, {"dashboard_label": "grafana=yes"})
    assert set(changed) == {p for p in build(inputs, {}) if p.startswith("sidecar/")
                            and not p.endswith("kustomization.yaml")}
    for old, new in changed.values():
        labels = dict(old["metadata"]["labels"])
        del labels["grafana_dashboard"]
        assert new == _set(old, ("metadata", "labels"), dict(sorted({**labels, "grafana": "yes"}.items())))


def test_folder_annotation_changes_only_the_sidecar_annotation(inputs):
    changed = changes(inputs, {"folder_annotation": "k8s-sidecar-target-directory"})
    assert changed and all(p.startswith("sidecar/") for p in changed)
    for old, new in changed.values():
        assert new == _set(old, ("metadata", "annotations"), {"k8s-sidecar-target-directory": "Plano"})


def test_instance_selector_changes_only_the_grafana_dashboards(inputs):
    changed = changes(inputs, {"instance_selector": {"team": "ai", "dashboards": "plano"}})
    assert set(changed) == {p for p in build(inputs, {}) if p.startswith("grafana-operator/")
                            and not p.endswith("kustomization.yaml")}
    for old, new in changed.values():
        assert new == _set(old, ("spec", "instanceSelector", "matchLabels"),
                           {"dashboards": "plano", "team": "ai"})


def test_rule_labels_change_only_the_rules_and_the_pod_monitor(inputs):
    changed = changes(inputs, {"rule_labels": {"prometheus": "k8s", "role": "alert-rules"}})
    assert set(changed) == {p for p in build(inputs, {}) if p.startswith("prometheus-operator/")
                            and not p.endswith("kustomization.yaml")}
    for old, new in changed.values():
        labels = {k: v for k, v in old["metadata"]["labels"].items() if k != "release"}
        assert new == _set(old, ("metadata", "labels"),
                           dict(sorted({**labels, "prometheus": "k8s", "role": "alert-rules"}.items())))


def test_pod_selector_changes_only_the_pod_monitor_selector(inputs):
    changed = changes(inputs, {"pod_selector": {"app.kubernetes.io/name": "plano"}})
    assert list(changed) == ["prometheus-operator/podmonitor.yaml"]
    ((old, new),) = changed.values()
    assert new == _set(old, ("spec", "selector", "matchLabels"), {"app.kubernetes.io/name": "plano"})


@pytest.mark.parametrize("table, message", [
    ({"namespace": "Plano"}, "kubernetes.namespace: 'Plano' is not a namespace name"),
    ({"dashboard_label": "grafana_dashboard"},
     "kubernetes.dashboard_label: 'grafana_dashboard' is not key=value"),
    ({"dashboard_label": "bad key=1"}, "kubernetes.dashboard_label: label key 'bad key'"),
    ({"dashboard_label": "grafana_dashboard=" + "1" * 64}, "kubernetes.dashboard_label: label value"),
    ({"folder_annotation": "-folder"}, "kubernetes.folder_annotation: '-folder'"),
    ({"instance_selector": {}}, "kubernetes.instance_selector: must name at least one label"),
    ({"rule_labels": {"release": 1}}, "kubernetes.rule_labels.release: expected a string"),
    ({"pod_selector": "app=plano"}, "kubernetes.pod_selector: expected a table"),
    ({"pod_selector": {"Bad/app": "plano"}}, "kubernetes.pod_selector: label key 'Bad/app'"),
    ({"namespaces": "plano"}, "[kubernetes] unknown key 'namespaces'"),
])
def test_bad_values_name_the_key(table, message):
    with pytest.raises(ConfigError) as caught:
        config.parse({"kubernetes": table}, "c.toml")
    assert str(caught.value).startswith("c.toml: ") and message in str(caught.value)


def test_the_command_reads_the_config_and_refuses_a_bad_one_in_one_line(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('[kubernetes]\nnamespace = "plano"\n')
    result = run("k8s", "--out", str(tmp_path / "out"), "--config", str(good))
    assert result.returncode == 0, result.stderr
    monitor = yamlload.load((tmp_path / "out/prometheus-operator/podmonitor.yaml").read_text())
    assert monitor["metadata"]["namespace"] == "plano"
    bad = tmp_path / "bad.toml"
    bad.write_text('[kubernetes]\nnamespace = "Plano"\n')
    result = run("k8s", "--out", str(tmp_path / "other"), "--config", str(bad))
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "kubernetes.namespace" in result.stderr and not (tmp_path / "other").exists()
