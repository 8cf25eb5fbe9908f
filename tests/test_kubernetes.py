"""``plano-grafana k8s``: the four kustomize folders, checked as the cluster would.

* every custom object against its CRD's ``openAPIV3Schema``, vendored from release tags
  (tests/data/crds/*.json say which: prometheus-operator v0.93.0, grafana-operator
  v5.24.0), unknown fields rejected as ``kubectl apply``'s strict field validation does;
* ConfigMaps against the Kubernetes API's rules (names, label keys and values, data keys,
  the 1 MiB data limit), written out here from k8s.io/apimachinery and
  pkg/apis/core/validation rather than borrowed from the code under test;
* ``kubectl kustomize`` renders each folder, the Plano patch on Plano's documented
  Deployment (tests/data/plano-deployment.yaml).
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from plano_grafana.deploy import kubernetes as kube
from plano_grafana.model.config.kubernetes import DEFAULT
from tests.conftest import REPO
from tests.support import yamlload
from tests.support.cli import run

COMMITTED = Path(REPO) / "deploy" / "kubernetes"
CRDS = Path(REPO) / "tests" / "data" / "crds"
PLANO_DEPLOYMENT = Path(REPO) / "tests" / "data" / "plano-deployment.yaml"

# k8s.io/apimachinery/pkg/util/validation/validation.go
DNS1123_SUBDOMAIN = re.compile(r"\A[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
QUALIFIED_NAME = re.compile(r"\A([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
LABEL_VALUE = re.compile(r"\A(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
CONFIGMAP_KEY = re.compile(r"\A[-._a-zA-Z0-9]+\Z")
MAX_CONFIGMAP_DATA = 1024 * 1024  # pkg/apis/core/validation ValidateConfigMap: core.MaxSecretSize


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("k8s")
    result = run("k8s", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def documents(folder: Path) -> dict[str, dict]:
    return {p.relative_to(folder).as_posix(): yamlload.load(p.read_text())
            for p in sorted(folder.glob("*/*.yaml"))}


def objects(folder: Path, kind: str) -> list[dict]:
    return [d for d in documents(folder).values() if d.get("kind") == kind]


def strict(schema):
    """The schema with unknown fields rejected where the CRD is structural (no
    ``x-kubernetes-preserve-unknown-fields``), as ``kubectl apply`` rejects them."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out \
                and not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def validator(kind: str) -> jsonschema.Draft7Validator:
    vendored = json.loads((CRDS / f"{kind}.json").read_text())
    return jsonschema.Draft7Validator(strict(vendored["openAPIV3Schema"]))


def check_metadata(meta: dict) -> None:
    assert DNS1123_SUBDOMAIN.match(meta["name"]) and len(meta["name"]) <= 253, meta["name"]
    for key in [*meta.get("labels", {}), *meta.get("annotations", {})]:
        prefix, _, name = key.rpartition("/")
        assert QUALIFIED_NAME.match(name) and len(name) <= 63, key
        assert not prefix or DNS1123_SUBDOMAIN.match(prefix), key
    for value in meta.get("labels", {}).values():
        assert isinstance(value, str) and LABEL_VALUE.match(value) and len(value) <= 63, value


def test_four_folders_each_with_a_kustomization(written):
    for folder in kube.FOLDERS:
        kustomization = yamlload.load((written / folder / "kustomization.yaml").read_text())
        listed = set(kustomization.get("resources", [])) | \
            {p["path"] for p in kustomization.get("patches", [])}
        present = {p.name for p in (written / folder).glob("*.yaml")} - {"kustomization.yaml"}
        assert listed == present, folder


def test_committed_folders_are_a_fresh_build(written):
    assert sorted(documents(COMMITTED)) == sorted(documents(written))
    for path in written.glob("*/*.yaml"):
        assert (COMMITTED / path.relative_to(written)).read_text() == path.read_text(), path


def test_check_reports_drift_in_deploy_kubernetes(tmp_path):
    shutil.copytree(COMMITTED, tmp_path / "k8s")
    podmonitor = tmp_path / "k8s" / "prometheus-operator" / "podmonitor.yaml"
    podmonitor.write_text(podmonitor.read_text().replace("interval: 15s", "interval: 30s"))
    result = run("check", "--k8s-out", str(tmp_path / "k8s"))
    assert result.returncode == 1
    assert f"{podmonitor} (on disk)" in result.stdout and "-    interval: 30s" in result.stdout


@pytest.mark.parametrize("kind", ["PodMonitor", "PrometheusRule", "GrafanaDashboard"])
def test_every_custom_object_validates_against_its_crd(written, kind):
    vendored = json.loads((CRDS / f"{kind}.json").read_text())["source"]
    found = objects(written, kind)
    assert found
    check = validator(kind)
    for obj in found:
        assert obj["apiVersion"] == f"{vendored['group']}/{vendored['version']}"
        errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in check.iter_errors(obj)]
        assert errors == [], obj["metadata"]["name"]
        check_metadata(obj["metadata"])


def test_the_schemas_reject_unknown_fields(written):
    """The strict schemas can fail: a misspelt field, as kubectl apply would refuse it."""
    monitor = copy.deepcopy(objects(written, "PodMonitor")[0])
    monitor["spec"]["podMetricsEndpoints"][0]["parms"] = {"format": ["prometheus"]}
    assert not validator("PodMonitor").is_valid(monitor)
    dashboard = copy.deepcopy(objects(written, "GrafanaDashboard")[0])
    del dashboard["spec"]["instanceSelector"]  # required (and immutable) in grafana-operator
    assert not validator("GrafanaDashboard").is_valid(dashboard)


def test_configmaps_hold_exactly_the_committed_json_under_the_api_rules(written):
    maps = objects(written, "ConfigMap")
    assert len(maps) == len(list((Path(REPO) / "dashboards").glob("*.json")))
    for cm in maps:
        check_metadata(cm["metadata"])
        assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert cm["metadata"]["annotations"] == {"grafana_folder": "Plano"}
        (key, text), = cm["data"].items()
        assert CONFIGMAP_KEY.match(key) and len(key) <= 253
        assert sum(len(v.encode()) for v in cm["data"].values()) <= MAX_CONFIGMAP_DATA
        assert text == (Path(REPO) / "dashboards" / key).read_text()
        assert set(cm) == {"apiVersion", "kind", "metadata", "data"}


def test_grafana_dashboards_carry_uid_folder_and_the_json(written):
    for obj in objects(written, "GrafanaDashboard"):
        spec = obj["spec"]
        assert spec["instanceSelector"] == {"matchLabels": {"dashboards": "grafana"}}
        assert spec["folder"] == "Plano"
        assert json.loads(spec["json"])["uid"] == spec["uid"]
        assert spec["json"] == (Path(REPO) / "dashboards" / f"{spec['uid']}.json").read_text()


def test_prometheus_rule_groups_equal_the_rule_files(written):
    rules = {p.name: yamlload.load(p.read_text()) for p in (Path(REPO) / "rules").glob("*.yaml")}
    found = {obj["metadata"]["name"]: obj for obj in objects(written, "PrometheusRule")}
    assert sorted(found) == sorted(f"plano-{n.removesuffix('.yaml')}" for n in rules)
    for name, data in rules.items():
        obj = found[f"plano-{name.removesuffix('.yaml')}"]
        assert obj["spec"] == data
        assert obj["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_pod_monitor_scrapes_both_endpoints_on_the_ports_the_patch_declares(written):
    (monitor,) = objects(written, "PodMonitor")
    envoy, brightstaff = monitor["spec"]["podMetricsEndpoints"]
    assert (envoy["port"], envoy["path"], envoy["params"]) == \
        ("envoy-admin", "/stats", {"format": ["prometheus"]})
    assert (brightstaff["port"], brightstaff["path"]) == ("brightstaff", "/metrics")
    patch = yamlload.load((written / "plano" / "deployment-ports.yaml").read_text())
    declared = {p["name"]: p["containerPort"]
                for p in patch["spec"]["template"]["spec"]["containers"][0]["ports"]}
    assert declared == {"envoy-admin": 9901, "brightstaff": 9092}
    for name in declared:  # IANA_SVC_NAME: what a containerPort name may be
        assert re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", name) and len(name) <= 15
    # the selector matches the pods of Plano's documented Deployment
    deployment = yamlload.load(PLANO_DEPLOYMENT.read_text())
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


def test_job_labels_are_what_the_alerts_select(written):
    (monitor,) = objects(written, "PodMonitor")
    envoy_job, brightstaff_job = (
        next(r["replacement"] for r in ep["relabelings"] if r["targetLabel"] == "job")
        for ep in monitor["spec"]["podMetricsEndpoints"])
    selected = set(re.findall(r'job=~"([^"]+)"', (Path(REPO) / "rules" / "alerts.yaml").read_text()))
    assert selected == {"plano|envoy", "brightstaff"}
    assert re.fullmatch("plano|envoy", envoy_job) and re.fullmatch("brightstaff", brightstaff_job)


def _kustomize(folder: Path) -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    result = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return [d for d in yamlload.load_all(result.stdout) if d]


@pytest.mark.parametrize("folder", ["sidecar", "grafana-operator", "prometheus-operator"])
def test_kubectl_kustomize_renders_each_folder(written, folder):
    rendered = _kustomize(written / folder)
    on_disk = [d for name, d in documents(written).items()
               if name.startswith(f"{folder}/") and not name.endswith("kustomization.yaml")]
    key = lambda d: (d["kind"], d["metadata"]["name"])  # noqa: E731
    assert sorted(rendered, key=key) == sorted(on_disk, key=key)


def patched_deployment(k8s_out: Path, tmp_path: Path) -> dict:
    """Plano's documented Deployment with ``k8s_out``'s ``plano/`` component applied, as
    ``kubectl kustomize`` renders it (skips without kubectl)."""
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    shutil.copy(PLANO_DEPLOYMENT, overlay / "plano-deployment.yaml")
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump({
        "resources": ["plano-deployment.yaml"],
        "components": [os.path.relpath(k8s_out / "plano", overlay)]}))
    (deployment,) = _kustomize(overlay)
    return deployment


def test_kubectl_kustomize_applies_the_patch_to_planos_documented_deployment(written, tmp_path):
    deployment = patched_deployment(written, tmp_path)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"llm-gateway": 12000, "envoy-admin": 9901, "brightstaff": 9092}
    assert container["image"] == "katanemo/plano:0.4.36"  # the rest of the Deployment kept


def _dashboard(uid: str, size: int = 0) -> dict:
    return {"uid": uid, "title": uid, "panels": [], "description": "x" * size}


def test_a_dashboard_over_the_configmap_limit_is_refused_by_name():
    big = {"big.json": _dashboard("big", MAX_CONFIGMAP_DATA)}
    with pytest.raises(kube.KubernetesError, match=r"dashboard 'big': its JSON is \d+ bytes, over"):
        kube.files(big, {}, DEFAULT, "Plano", "15s")
    just_under = {"ok.json": _dashboard("ok", MAX_CONFIGMAP_DATA - 200)}
    assert "sidecar/ok.yaml" in kube.files(just_under, {}, DEFAULT, "Plano", "15s")


def test_uids_that_collide_as_object_names_are_refused():
    pair = {"a.json": _dashboard("Team_X"), "b.json": _dashboard("team-x")}
    with pytest.raises(kube.KubernetesError, match="'Team_X' and 'team-x' would both be"):
        kube.files(pair, {}, DEFAULT, "Plano", "15s")


def test_stale_objects_of_ours_are_removed_others_kept(written, tmp_path):
    out = tmp_path / "k8s"
    shutil.copytree(written, out)
    (out / "sidecar" / "retired.yaml").write_text(kube.HEADER + "kind: ConfigMap\n")
    (out / "sidecar" / "mine.yaml").write_text("kind: ConfigMap\n")
    result = run("k8s", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"removed {out / 'sidecar' / 'retired.yaml'}" in result.stdout
    assert (out / "sidecar" / "mine.yaml").exists() and not (out / "sidecar" / "retired.yaml").exists()
    assert "0 changed, 1 removed" in result.stdout
