"""PromQL builders for the query shapes the dashboards repeat, under one config.

Each builder takes a :class:`~plano_grafana.model.catalogue.Metric`, never a bare name, and
derives the label selector from where the metric is scraped, so that every panel of a
dashboard filters by the same template variables. Windows are Grafana's
``$__rate_interval`` for rates and ``$__range`` for "in the selected range" totals.
Ratios divide plain rates: no ``clamp_min(…, 1)`` that would understate ratios below
1 req/s (the defect of Plano's brightstaff dashboard).

A dashboard or rule module builds one :class:`Queries` from the config it is handed
(``q = Queries(cfg)``): the config's selectors and fleet label (:mod:`.selectors`), its
recording-rule mode and windows (:mod:`.records`) and the price joins (:mod:`.money`)
all come with it. Builders that need no config (``ratio``, ``share``, ``topk``) are plain
functions, also reachable as ``q.ratio`` and so on.
"""

from __future__ import annotations

from collections.abc import Iterable

from plano_grafana.build.money import PRICE_KEY, Priced
from plano_grafana.build.records import record_suffixes, recordable, recorded_from
from plano_grafana.build.selectors import (
    RANGE,
    RATE_INTERVAL,
    QueryError,
    matcher,
    require,
)
from plano_grafana.model.catalogue import Kind, Metric

__all__ = [
    "PRICE_KEY",
    "RANGE",
    "RATE_INTERVAL",
    "Queries",
    "QueryError",
    "matcher",
    "or_zero",
    "ratio",
    "record_suffixes",
    "recordable",
    "recorded_from",
    "share",
    "topk",
]


def ratio(numerator: str, denominator: str) -> str:
    """Plain division of two aggregated rates; label sets match because both use ``by``."""
    return f"{numerator} / {denominator}"


def share(part: str, whole: str) -> str:
    """``part / whole`` for a subset of the same events, 0 (not "no data") when ``part``
    has no series yet.

    Envoy creates a status-code counter on the first response with that code, and
    brightstaff a label set on its first event, so a provider that never returned a 5xx
    has no 5xx series at all: a plain division would drop it from the panel instead of
    showing 0 %. A grouped ratio fills the missing groups with ``or whole * 0`` (same
    ``by`` labels on both sides); an ungrouped one with ``or vector(0)``, which costs
    nothing, where ``whole * 0`` would read every series of ``whole`` a second time.
    """
    return f"({or_zero(part, whole)}) / {whole}"


def or_zero(expr: str, whole: str) -> str:
    """``expr``, or 0 for each group of ``whole`` that ``expr`` has no series for.

    ``vector(0)`` serves an ungrouped sum; a grouped one (``by`` labels, the fleet label
    included) needs ``whole * 0``, since an unlabelled 0 would stand beside every group
    as a series of its own.
    """
    filler = f"{whole} * 0" if whole.startswith("sum by (") else "vector(0)"
    return f"{expr} or {filler}"


def topk(k: int, expr: str) -> str:
    return f"topk({k}, {expr})"


class Queries(Priced):
    """Every query builder, bound to one config (see the module docstring)."""

    ratio = staticmethod(ratio)
    share = staticmethod(share)
    or_zero = staticmethod(or_zero)
    topk = staticmethod(topk)
    matcher = staticmethod(matcher)
    recordable = staticmethod(recordable)
    record_suffixes = staticmethod(record_suffixes)

    def rate(self, metric: Metric, suffix: str = "", by: Iterable[str] = (),
             ignore: Iterable[str] = (), **matchers: str) -> str:
        """``sum by (…) (rate(series{…}[$__rate_interval]))`` of a counter or histogram part.

        With ``recording_rules = true`` it reads the recorded rate instead
        (``sum by (…) (<level>:<series>:rate1m{…})``, see :meth:`record_name`): the same
        value for the same window, one series per label set rather than per instance.
        """
        require(metric, Kind.COUNTER, Kind.HISTOGRAM)
        by = tuple(by)
        self.check_labels(metric, by, allow_le=suffix == "_bucket")
        if self.recording and recordable(metric):
            return self.sum(self.recorded_selector(metric, suffix, ignore, matchers), by)
        raw = self.selector(metric, suffix, ignore, **matchers)
        return self.sum(f"rate({raw}[{RATE_INTERVAL}])", by)

    def increase_in_range(self, metric: Metric, suffix: str = "", by: Iterable[str] = (),
                          **matchers: str) -> str:
        """Total over the dashboard's time range; meant for instant queries."""
        require(metric, Kind.COUNTER, Kind.HISTOGRAM)
        by = tuple(by)
        self.check_labels(metric, by, allow_le=suffix == "_bucket")
        return self.sum(f"increase({self.selector(metric, suffix, **matchers)}[{RANGE}])", by)

    def gauge(self, metric: Metric, by: Iterable[str] = (), **matchers: str) -> str:
        require(metric, Kind.GAUGE)
        by = tuple(by)
        self.check_labels(metric, by)
        return self.sum(self.selector(metric, **matchers), by)

    def quantile(self, q: float, metric: Metric, by: Iterable[str] = (), **matchers: str) -> str:
        """``histogram_quantile(q, sum by (le, …) (rate(x_bucket{…}[$__rate_interval])))``."""
        require(metric, Kind.HISTOGRAM)
        if not 0 < q < 1:
            raise QueryError(f"quantile {q} is not between 0 and 1")
        return f"histogram_quantile({q:g}, {self.rate(metric, '_bucket', ('le', *by), **matchers)})"

    def mean(self, metric: Metric, by: Iterable[str] = (), **matchers: str) -> str:
        """Mean observation from ``_sum`` / ``_count``."""
        require(metric, Kind.HISTOGRAM)
        return ratio(self.rate(metric, "_sum", by, **matchers),
                     self.rate(metric, "_count", by, **matchers))

    def heatmap(self, metric: Metric, *, over_range: bool = False, **matchers: str) -> str:
        """Bucket increments per step (or, ``over_range``, over the whole selected range, for
        an instant histogram), for a panel with Format = Heatmap.

        The one aggregation that keeps summing across the fleet label: bucket counts of the
        selected installations add up to their joint distribution (a quantile would not),
        and Grafana's heatmap needs exactly one series per ``le``.
        """
        require(metric, Kind.HISTOGRAM)
        if self.recording and not over_range:  # increase over the window = recorded rate × window
            recorded = self.recorded_selector(metric, "_bucket", (), matchers)
            return f"{self.sum(recorded, ('le',), per_fleet=False)} * $__rate_interval_ms / 1000"
        # totals over the range stay raw, as increase_in_range does: one instant query
        window = RANGE if over_range else RATE_INTERVAL
        raw = self.selector(metric, '_bucket', **matchers)
        return self.sum(f"increase({raw}[{window}])", ("le",), per_fleet=False)

    def share_by(self, metric: Metric, label: str, by: Iterable[str] = (), **matchers: str) -> str:
        """Each value of ``label`` as a share of all events: ``sum by (label, …) (rate(x)) /
        ignoring(label) group_left sum by (…) (rate(x))`` (outcomes as ratios)."""
        by = tuple(by)
        return (f"{self.rate(metric, by=(label, *by), **matchers)} / ignoring({label}) group_left "
                f"{self.rate(metric, by=by, **matchers)}")

    def restarts_in_range(self, metric: Metric, per: str = "instance", **matchers: str) -> str:
        """Restarts over the range, per ``per``, from resets of a counter the process keeps:
        a restart resets every series that had counted, so the busiest series of each
        instance (``max``) counts each restart once."""
        require(metric, Kind.COUNTER)
        self.check_labels(metric, (per,))
        resets = f"resets({self.selector(metric, **matchers)}[{RANGE}])"
        inner = f"max by ({', '.join(self.fleet_by((per,)))}) ({resets})"
        return self.sum(inner, (per,))

    def total(self, expr: str, by: Iterable[str] = ()) -> str:
        """``sum`` of an expression a builder made, keeping the fleet label like every other
        aggregation (dashboards never write ``sum(`` themselves)."""
        return self.sum(expr, by)
