"""Grafana file provisioning, for users who deploy with files instead of the HTTP API.

Writes the datasource YAML, a dashboard provider YAML and the compiled JSON it points
at, plus a Prometheus config, into one folder that ``docker-compose.yml`` mounts. The
datasource and folder uids are the ones ``deploy`` uses, so both routes give the same
dashboards. Files are rendered in memory first and written only when all succeeded.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from plano_grafana.build.jsontext import render
from plano_grafana.deploy import grafana_objects, prometheus_config
from plano_grafana.model.config import DEFAULT, Config

#: Where docker-compose.yml mounts the folder inside the Grafana container.
CONTAINER_DASHBOARDS = "/etc/grafana/provisioning/dashboards/plano"
#: Where docker-compose.yml mounts the generated rules/ inside the Prometheus container,
#: and the Alertmanager it runs beside it.
CONTAINER_RULES = "/etc/prometheus/rules/*.yaml"
ALERTMANAGER = "alertmanager:9093"


def files(dashboards: dict[str, dict], prometheus_url: str | None, scrape_interval: str,
          envoy_targets: list[str], brightstaff_targets: list[str],
          cfg: Config = DEFAULT) -> dict[str, str]:
    """Relative path -> file text."""
    ds = grafana_objects.datasource(cfg, prometheus_url, scrape_interval)
    datasource = {"apiVersion": 1, "datasources": [{**ds, "editable": False, "version": 1}]}
    provider = {"apiVersion": 1, "providers": [{
        "name": "plano", "orgId": 1, "folder": cfg.folder.title, "folderUid": cfg.folder.uid,
        "type": "file", "disableDeletion": False, "allowUiUpdates": False,
        "updateIntervalSeconds": 30, "options": {"path": CONTAINER_DASHBOARDS}}]}
    out = {
        "grafana/datasources/plano.yaml": yaml.safe_dump(datasource, sort_keys=False),
        "grafana/dashboards/plano.yaml": yaml.safe_dump(provider, sort_keys=False),
        "prometheus/prometheus.yml": prometheus_config.render(prometheus_config.config(
            envoy_targets, brightstaff_targets, scrape_interval,
            rule_files=[CONTAINER_RULES], alertmanagers=[ALERTMANAGER])),
    }
    for name, data in sorted(dashboards.items()):
        out[f"grafana/dashboards/plano/{name}"] = render(data)
    return out


def write(out_dir: Path, texts: dict[str, str]) -> list[Path]:
    written = []
    for rel, text in texts.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
