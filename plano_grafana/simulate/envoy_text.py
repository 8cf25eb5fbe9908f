"""Envoy's plain-text ``/stats`` (no ``format=prometheus``), as a misconfigured scrape gets it.

Envoy's admin answers ``/stats`` in its own text format unless asked for
``format=prometheus`` (``source/server/admin/stats_render.cc``, ``StatsTextRender``):
one ``name: value`` line per stat under Envoy's dotted stat names, histograms as
``name: P0(interval,cumulative) P25(…) …``. Prometheus cannot parse it, so a scrape job
without ``params: {format: [prometheus]}`` leaves the Envoy target down with a parse
error: the fault ``plano-grafana doctor`` must recognise.

The dotted names are the Prometheus names with Envoy's tag extraction undone
(``envoy_cluster_upstream_rq_total{envoy_cluster_name="openai"}`` ->
``cluster.openai.upstream_rq_total``).
"""

from __future__ import annotations

from plano_grafana.model.numbers import fmt_number
from plano_grafana.simulate.exposition import Registry

_PERCENTILES = (0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100)


def stat_name(name: str, labels: dict[str, str]) -> str:
    """Envoy's dotted stat name for a Prometheus name and its tags."""
    if name.startswith("envoy_cluster_"):
        stat = name[len("envoy_cluster_"):]
        if "envoy_response_code_class" in labels:
            stat = stat.replace("_xx", f"_{labels['envoy_response_code_class']}xx")
        elif "envoy_response_code" in labels:
            stat = f"{stat}_{labels['envoy_response_code']}"
        return f"cluster.{labels.get('envoy_cluster_name', '')}.{stat}"
    if name.startswith("envoy_listener_http_"):
        stat = name[len("envoy_listener_http_"):]
        if "envoy_response_code_class" in labels:
            stat = stat.replace("_xx", f"_{labels['envoy_response_code_class']}xx")
        return (f"listener.{labels.get('envoy_listener_address', '')}.http."
                f"{labels.get('envoy_http_conn_manager_prefix', '')}.{stat}")
    if name.startswith("envoy_server_"):
        return "server." + name[len("envoy_server_"):]
    return name  # WASM filter stats: no envoy_ prefix either way


def _percentiles(bounds: tuple[float, ...], cumulative: list[int], count: int) -> str:
    """``P0(v,v) P25(v,v) …``: each percentile as the upper bound of its bucket."""
    if not count:
        return "No recorded values"
    parts = []
    for p in _PERCENTILES:
        rank = count * p / 100
        bound = next((b for b, c in zip(bounds, cumulative, strict=True) if c >= rank), bounds[-1])
        parts.append(f"P{p:g}({fmt_number(bound)},{fmt_number(bound)})")
    return " ".join(parts)


def render(registry: Registry) -> str:
    """The registry as Envoy's ``/stats`` text: ``name: value`` lines sorted by name."""
    lines = []
    for name, series in registry.snapshot().items():
        metric = registry.metrics[name]
        for key, value in series.items():
            dotted = stat_name(name, dict(key))
            if isinstance(value, tuple):
                cumulative, count, _ = value
                lines.append(f"{dotted}: {_percentiles(metric.buckets, cumulative, count)}")
            else:
                lines.append(f"{dotted}: {fmt_number(value)}")
    return "\n".join(sorted(lines)) + "\n"
