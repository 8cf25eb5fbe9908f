"""Vendor the openAPIV3Schema of the CRDs ``plano-grafana k8s`` writes, from release tags.

    python -m tests.support.vendor_crds PROMETHEUS_OPERATOR_GIT_DIR GRAFANA_OPERATOR_GIT_DIR

reads each CRD at its tag from a clone (``git show TAG:PATH``), keeps only the served
version's ``openAPIV3Schema`` without ``description`` texts (the schemas, not the docs),
and writes ``tests/data/crds/<kind>.json`` with the tag, path and blob it came from.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parents[1] / "data" / "crds"
#: kind -> (repository, tag, path, version)
SOURCES = {
    "PodMonitor": ("prometheus-operator/prometheus-operator", "v0.93.0",
                   "example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml", "v1"),
    "PrometheusRule": ("prometheus-operator/prometheus-operator", "v0.93.0",
                       "example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml",
                       "v1"),
    "GrafanaDashboard": ("grafana/grafana-operator", "v5.24.0",
                         "config/crd/bases/grafana.integreatly.org_grafanadashboards.yaml",
                         "v1beta1"),
}


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "description"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def vendor(git_dirs: dict[str, str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for kind, (repo, tag, path, version) in SOURCES.items():
        git = ["git", "-C", git_dirs[repo]]
        text = subprocess.run([*git, "show", f"{tag}:{path}"], check=True, capture_output=True,
                              text=True).stdout
        blob = subprocess.run([*git, "rev-parse", f"{tag}:{path}"], check=True,
                              capture_output=True, text=True).stdout.strip()
        crd = yaml.safe_load(text)
        (served,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
        out = {"source": {"repository": repo, "tag": tag, "path": path, "blob": blob,
                          "group": crd["spec"]["group"], "version": version, "kind": kind},
               "openAPIV3Schema": _strip(served["schema"]["openAPIV3Schema"])}
        (OUT / f"{kind}.json").write_text(json.dumps(out, sort_keys=True, separators=(",", ":"))
                                          + "\n")


if __name__ == "__main__":
    vendor({"prometheus-operator/prometheus-operator": sys.argv[1],
            "grafana/grafana-operator": sys.argv[2]})
