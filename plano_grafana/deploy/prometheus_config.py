"""Prometheus scrape configuration for Plano, from the seed documentation's sample.

The seed's ``prometheus.yaml`` scrapes Envoy's admin ``/stats`` with
``params: {format: [prometheus]}`` as job ``plano``; this adds brightstaff's
``/metrics`` (job ``brightstaff``) that the per-model panels need. Both jobs carry
``service="plano"`` as Plano's own scrape file does.
"""

from __future__ import annotations

from collections.abc import Sequence

import yaml


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
