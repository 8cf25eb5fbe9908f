"""Recording rules: one naming rule for recorded rates, shared by rule files and dashboards.

A recorded rate is ``sum by (job, <fleet>, <every label of the metric>[, le])
(rate(series[4 × scrape interval]))``: ``instance`` (and any other target label such as
``pod``) summed away, everything a panel filters or groups by kept. One naming rule maps
(metric, series suffix) to its record, so the rule files and the dashboards can never
disagree on a name. The window comes from the config's scrape interval
(:class:`~plano_grafana.model.windows.Windows`), handed in with the config.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from plano_grafana.build.selectors import SOURCE_MATCHERS, Selectors, matcher, require
from plano_grafana.model.catalogue import Kind, Metric, Source
from plano_grafana.model.config import Config
from plano_grafana.model.windows import Windows

#: Sources whose counters and histograms are scraped, hence recorded.
_RECORDED_SOURCES = frozenset({Source.WASM, Source.ENVOY_CLUSTER, Source.ENVOY_LISTENER,
                               Source.BRIGHTSTAFF})
#: Record levels (Prometheus naming: ``level:metric:operations``), after the labels kept.
RECORD_LEVELS = ("provider_model", "cluster", "listener", "job")


def record_level(metric: Metric) -> str:
    labels = set(metric.labels)
    if {"provider", "model"} <= labels:
        return "provider_model"
    if "envoy_cluster_name" in labels:
        return "cluster"
    if "envoy_listener_address" in labels:
        return "listener"
    return "job"


def recordable(metric: Metric) -> bool:
    """Counters and histograms get a recorded rate; gauges are read as they are."""
    return metric.kind in (Kind.COUNTER, Kind.HISTOGRAM) and metric.source in _RECORDED_SOURCES


def record_suffixes(metric: Metric) -> tuple[str, ...]:
    return ("_bucket", "_sum", "_count") if metric.kind is Kind.HISTOGRAM else ("",)


def recorded_from(name: str) -> str | None:
    """The raw series a record name pre-aggregates (``job:request_latency_count:rate1m`` ->
    ``request_latency_count``), or None when ``name`` is not one of ours."""
    level, _, rest = name.partition(":")
    series, _, operation = rest.rpartition(":")
    if level in RECORD_LEVELS and series and operation.startswith("rate"):
        return series
    return None


class Records(Selectors):
    """Record names and expressions, and rule-file rates, under one config."""

    def __init__(self, cfg: Config):
        super().__init__(cfg)
        self.windows = Windows.of(cfg)

    @property
    def recording(self) -> bool:
        """Dashboards read recorded rates when the config says so (``recording_rules``)."""
        return self.cfg.recording_rules

    def record_labels(self, metric: Metric, suffix: str = "") -> tuple[str, ...]:
        """Labels a recorded rate keeps: ``job``, the metric's own, ``le``, the fleet label."""
        return self.fleet_by(("job", *metric.labels, *(("le",) if suffix == "_bucket" else ())))

    def record_name(self, metric: Metric, suffix: str = "", window: str | None = None) -> str:
        """``provider_model:brightstaff_llm_time_to_first_token_seconds_bucket:rate1m``."""
        window = window or self.windows.rate()
        return f"{record_level(metric)}:{self.name(metric, suffix)}:rate{window}"

    def rule_rate(self, metric: Metric, window: str, suffix: str = "", by: Iterable[str] = (),
                  **matchers: str) -> str:
        """``sum by (…, <fleet>) (rate(series{…}[window]))`` for a rule; the fleet label is kept."""
        require(metric, Kind.COUNTER, Kind.HISTOGRAM)
        by = tuple(by)
        self.check_labels(metric, by, allow_le=suffix == "_bucket")
        return self.sum(f"rate({self.rule_selector(metric, suffix, **matchers)}[{window}])", by)

    def record_expr(self, metric: Metric, suffix: str = "") -> str:
        """The expression of a recorded rate (see :meth:`record_name`)."""
        return self.rule_rate(metric, self.windows.rate(), suffix,
                              self.record_labels(metric, suffix))

    def recorded_selector(self, metric: Metric, suffix: str, ignore: Iterable[str],
                          matchers: Mapping[str, str]) -> str:
        """The record with the dashboard's variables, minus ``instance`` (summed away) and
        minus the config's extra matchers (applied when the rate was recorded)."""
        self.check_labels(metric, matchers, allow_le=suffix == "_bucket")
        kept = set(self.record_labels(metric, suffix))
        ignore = set(ignore)
        parts = [f'{label}=~"{var}"' for label, var in SOURCE_MATCHERS[metric.source]
                 if label in kept and label not in ignore]
        if self.fleet:
            parts.append(f'{self.fleet}=~"${self.fleet}"')
        parts += [matcher(k, spec) for k, spec in matchers.items()]
        return f"{self.record_name(metric, suffix)}{{{','.join(parts)}}}"
