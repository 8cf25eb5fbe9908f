"""Prometheus scrape configuration for Plano, from the seed documentation's sample.

The seed's ``prometheus.yaml`` scrapes Envoy's admin ``/stats`` with
``params: {format: [prometheus]}`` as job ``plano``; this adds brightstaff's
``/metrics`` (job ``brightstaff``) that the per-model panels need. Both jobs carry
``service="plano"`` as Plano's own scrape file does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import yaml

from plano_grafana.errors import PlanoGrafanaError


def config(envoy_targets: Sequence[str] = ("host.docker.internal:19901",),
           brightstaff_targets: Sequence[str] = ("host.docker.internal:9092",),
           scrape_interval: str = "15s", scrape_timeout: str = "10s", *,
           rule_files: Sequence[str] = (), alertmanagers: Sequence[str] = ()) -> dict:
    """The config; ``rule_files`` (paths or globs, e.g. the generated ``rules/*.yaml``) and
    ``alertmanagers`` (host:port) are added only when given."""
    common = {"honor_timestamps": True, "scrape_interval": scrape_interval,
              "scrape_timeout": scrape_timeout, "scheme": "http"}
    jobs = [
        {"job_name": "plano", **common, "metrics_path": "/stats",
         "params": {"format": ["prometheus"]},
         "static_configs": [{"targets": list(envoy_targets), "labels": {"service": "plano"}}]},
    ]
    if brightstaff_targets:
        jobs.append({"job_name": "brightstaff", **common, "metrics_path": "/metrics",
                     "static_configs": [{"targets": list(brightstaff_targets),
                                         "labels": {"service": "plano"}}]})
    out: dict = {
        "global": {"scrape_interval": scrape_interval, "scrape_timeout": scrape_timeout,
                   "evaluation_interval": scrape_interval},
    }
    if rule_files:
        out["rule_files"] = list(rule_files)
    if alertmanagers:
        out["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": list(alertmanagers)}]}]}
    out["scrape_configs"] = jobs
    return out


def render(cfg: dict) -> str:
    return yaml.safe_dump(cfg, sort_keys=False)


def rule_glob(rules_dir: Path, config_file: Path | None) -> str:
    """``DIR/*.yaml`` as the config's ``rule_files`` entry. Prometheus resolves a relative
    entry against the config file's folder, so with a known ``config_file`` the entry is
    relative to it (unless that climbs out of its folder); printed to standard output,
    where the config lands is unknown: absolute."""
    if not rules_dir.is_dir():
        raise PlanoGrafanaError(f"--rules {rules_dir}: no such folder (build it with "
                                "'plano-grafana rules --out DIR')")
    if not any(rules_dir.glob("*.yaml")):
        raise PlanoGrafanaError(f"--rules {rules_dir}: no *.yaml rule files in it (build them "
                                "with 'plano-grafana rules --out DIR')")
    folder = rules_dir.resolve()
    if config_file is not None:
        relative = Path(os.path.relpath(folder, config_file.resolve().parent))
        folder = folder if relative.parts[:1] == ("..",) else relative
    return str(folder / "*.yaml")
