"""Prometheus text exposition as Envoy's admin and brightstaff's exporter write it.

A small registry of counters, gauges and histograms keyed by label set. Two renderers:

* ``envoy`` follows ``source/server/admin/prometheus_stats.cc``: names sorted, one
  ``# TYPE`` line per family, braces even when there are no tags (``name{} 1``),
  ``le`` printed with ``{:.32g}``, ``le="+Inf"`` equal to the count, then ``_sum`` and
  ``_count``; counters keep their stat name (no ``_total`` added).
* ``brightstaff`` follows metrics-exporter-prometheus: ``# HELP``/``# TYPE``, no braces
  when there are no labels.

prometheus_client is not used because it adds ``_total``/``_created`` series that
neither Envoy nor brightstaff emit, which would let a wrong query pass.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable

from plano_grafana.model.catalogue import Kind, Metric
from plano_grafana.model.numbers import fmt_number

Labels = tuple[tuple[str, str], ...]


class _Histogram:
    __slots__ = ("bounds", "count", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]):
        self.bounds = bounds
        self.counts = [0] * len(bounds)
        self.count = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        i = bisect.bisect_left(self.bounds, value)  # le is inclusive: value <= bound
        if i < len(self.bounds):
            self.counts[i] += 1
        self.count += 1
        self.sum += value

    def cumulative(self) -> list[int]:
        out, running = [], 0
        for c in self.counts:
            running += c
            out.append(running)
        return out


class Registry:
    """Thread-safe store of metric values, optionally reporting each event to a listener.

    The listener (the simulator's truth log) is called under the same lock as the change
    and the exposition's snapshot, so an event's truth time falls on the same side of a
    scrape's read as its value: called after the lock, a busy machine could stamp an
    event after a scrape that had already read it, and the proof then counted one event
    fewer at that scrape than Prometheus did.
    """

    def __init__(self, metrics: Iterable[Metric], listener: Callable | None = None):
        self.metrics = {m.name: m for m in metrics}
        self._values: dict[str, dict[Labels, float | _Histogram]] = {n: {} for n in self.metrics}
        self._lock = threading.Lock()
        self._listener = listener

    def _key(self, metric: Metric, labels: dict[str, str]) -> Labels:
        unknown = set(labels) - set(metric.labels)
        if unknown:
            raise ValueError(f"{metric.name} has no label(s) {sorted(unknown)}")
        for label, allowed in metric.values:
            if label in labels and labels[label] not in allowed:
                raise ValueError(f"{metric.name}: {label}={labels[label]!r} is not one of {allowed}")
        return tuple((k, labels[k]) for k in metric.labels if k in labels)

    def inc(self, metric: Metric, amount: float = 1, **labels: str) -> None:
        assert metric.kind is Kind.COUNTER, metric.name
        key = self._key(metric, labels)
        with self._lock:
            series = self._values[metric.name]
            series[key] = series.get(key, 0) + amount
            if self._listener:
                self._listener(metric.name, key, amount)

    def touch(self, metric: Metric, **labels: str) -> None:
        """Create a series at zero, as Envoy does for every stat of a configured cluster."""
        key = self._key(metric, labels)
        with self._lock:
            series = self._values[metric.name]
            if key in series:
                return
            series[key] = _Histogram(metric.buckets) if metric.kind is Kind.HISTOGRAM else 0
            if self._listener and metric.kind is not Kind.HISTOGRAM:  # it exists from now on
                self._listener(metric.name, key, 0)

    def set(self, metric: Metric, value: float, **labels: str) -> None:
        assert metric.kind is Kind.GAUGE, metric.name
        key = self._key(metric, labels)
        with self._lock:
            self._values[metric.name][key] = value
            if self._listener:  # a gauge's truth is its latest value
                self._listener(metric.name, key, value)

    def observe(self, metric: Metric, value: float, **labels: str) -> None:
        assert metric.kind is Kind.HISTOGRAM, metric.name
        key = self._key(metric, labels)
        with self._lock:
            series = self._values[metric.name]
            hist = series.get(key)
            if hist is None:
                hist = series[key] = _Histogram(metric.buckets)
            hist.observe(value)
            if self._listener:
                self._listener(metric.name, key, value)

    def snapshot(self) -> dict[str, dict[Labels, float | tuple[list[int], int, float]]]:
        with self._lock:
            out = {}
            for name, series in self._values.items():
                out[name] = {
                    k: (v.cumulative(), v.count, v.sum) if isinstance(v, _Histogram) else v
                    for k, v in series.items()
                }
            return out

    def render(self, style: str = "envoy", timestamp_ms: int | None = None,
               name_prefix: str = "") -> str:
        """The exposition text; ``timestamp_ms`` appends sample timestamps (for backfill);
        ``name_prefix`` goes in front of every family name (a renamed brightstaff)."""
        if style not in ("envoy", "brightstaff"):
            raise ValueError(f"unknown exposition style {style!r}")
        envoy = style == "envoy"
        ts = f" {timestamp_ms}" if timestamp_ms is not None else ""
        lines: list[str] = []
        snap = self.snapshot()
        for family in sorted(snap):
            series = snap[family]
            if not series:
                continue
            metric = self.metrics[family]
            name = name_prefix + family
            if not envoy and metric.help:  # undescribed families have no HELP line
                lines.append(f"# HELP {name} {metric.help}")
            lines.append(f"# TYPE {name} {metric.kind.value}")
            for key in sorted(series):
                tags = ",".join(f'{k}="{v}"' for k, v in key)
                braces = f"{{{tags}}}" if (tags or envoy) else ""
                value = series[key]
                if metric.kind is not Kind.HISTOGRAM:
                    lines.append(f"{name}{braces} {fmt_number(value)}{ts}")
                    continue
                cumulative, count, total = value
                prefix = f"{tags}," if tags else ""
                for bound, c in zip(metric.buckets, cumulative, strict=True):
                    lines.append(f'{name}_bucket{{{prefix}le="{fmt_number(bound)}"}} {c}{ts}')
                lines.append(f'{name}_bucket{{{prefix}le="+Inf"}} {count}{ts}')
                lines.append(f"{name}_sum{braces} {fmt_number(total)}{ts}")
                lines.append(f"{name}_count{braces} {count}{ts}")
        return "\n".join(lines) + "\n"
