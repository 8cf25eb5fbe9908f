"""File provisioning and docker-compose: Docker cannot run here, so check their structure."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from plano_grafana.deploy import provisioning
from plano_grafana.model.config import DEFAULT
from tests.conftest import REPO
from tests.support.cli import run


def test_provisioning_files(tmp_path, promtool):
    result = run("provisioning", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    ds = yaml.safe_load((tmp_path / "grafana/datasources/plano.yaml").read_text())
    assert ds["apiVersion"] == 1
    (source,) = ds["datasources"]
    assert source["uid"] == DEFAULT.datasource.uid and source["type"] == "prometheus"
    assert source["jsonData"]["timeInterval"] == "15s" and source["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((tmp_path / "grafana/dashboards/plano.yaml").read_text())["providers"][0]
    assert provider["type"] == "file" and provider["options"]["path"] == provisioning.CONTAINER_DASHBOARDS
    assert provider["folderUid"] == "plano" and provider["allowUiUpdates"] is False
    folder = tmp_path / "grafana/dashboards/plano"
    uids = sorted(json.loads(p.read_text())["uid"] for p in folder.glob("*.json"))
    assert uids == ["plano-input-tokens", "plano-llm-requests", "plano-output-tokens",
                    "plano-routing", "plano-spend"]
    checked = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus/prometheus.yml")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_compose_mounts_what_provisioning_writes(tmp_path):
    compose = yaml.safe_load((Path(REPO) / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"grafana", "prometheus", "simulator"} <= set(services)
    texts = provisioning.files({}, "http://prometheus:9090", "15s", ["simulator:19901"],
                               ["simulator:9092"])
    written = {str(Path("provisioning") / rel) for rel in texts}
    for name in ("grafana", "prometheus"):
        for volume in services[name]["volumes"]:
            host, container = volume.split(":")[:2]
            host = host.removeprefix("./")
            if host == "rules":  # committed, from `make rules`: tests/test_compose.py
                continue
            assert any(w == host or w.startswith(host + "/") for w in written), host
            if name == "grafana":
                assert container.startswith("/etc/grafana/provisioning/")
    # the dashboard JSON lands where the provider looks for it
    assert provisioning.CONTAINER_DASHBOARDS.startswith("/etc/grafana/provisioning/dashboards")
    # docker/simulator.sh ends in `plano_grafana simulate "$@"`, the service's command
    assert services["simulator"]["command"][:2] == ["--host", "0.0.0.0"]
    assert "plano_grafana simulate \"$@\"" in (Path(REPO) / "docker/simulator.sh").read_text()
    prom_targets = yaml.safe_load(texts["prometheus/prometheus.yml"])["scrape_configs"][0]
    assert prom_targets["static_configs"][0]["targets"] == ["simulator:19901"]
