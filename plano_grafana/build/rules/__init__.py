"""Prometheus rule modules: recording rules, alerts and constant series, from the same
catalogue, query builders and config as the dashboards.

Each module in ``MODULES`` exposes ``groups(cfg) -> list[dict]``: plain Prometheus
rule-group dicts (``name``, optional ``interval``, ``rules`` of ``record``/``alert``
entries). A compiler step writes them to ``rules/*.yaml``, one file per module.
"""

MODULES: tuple[str, ...] = (
    "plano_grafana.build.rules.recording",
    "plano_grafana.build.rules.alerts",
    "plano_grafana.build.rules.prices",
    "plano_grafana.build.rules.router",
)
