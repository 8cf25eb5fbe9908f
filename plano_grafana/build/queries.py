"""PromQL builders for the query shapes the dashboards repeat.

Each builder takes a :class:`~plano_grafana.model.catalogue.Metric`, never a bare name, and
derives the label selector from where the metric is scraped, so that every panel of a
dashboard filters by the same template variables. Windows are Grafana's
``$__rate_interval`` for rates and ``$__range`` for "in the selected range" totals.
Ratios divide plain rates: no ``clamp_min(…, 1)`` that would understate ratios below
1 req/s (the defect of Plano's brightstaff dashboard).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from plano_grafana.model import config
from plano_grafana.model.catalogue import Kind, Metric, Source

RATE_INTERVAL = "$__rate_interval"
RANGE = "$__range"

#: Matchers each source gets from the dashboard's template variables.
_SOURCE_MATCHERS: Mapping[Source, tuple[tuple[str, str], ...]] = {
    Source.WASM: (("job", "$job"), ("instance", "$instance")),
    Source.ENVOY_SERVER: (("job", "$job"), ("instance", "$instance")),
    Source.ENVOY_CLUSTER: (("job", "$job"), ("instance", "$instance"),
                           ("envoy_cluster_name", "$cluster")),
    Source.ENVOY_LISTENER: (("job", "$job"), ("instance", "$instance"),
                            ("envoy_listener_address", "$listener")),
    Source.BRIGHTSTAFF: (("job", "$bs_job"), ("instance", "$bs_instance"),
                         ("provider", "$provider"), ("model", "$model")),
    Source.RULES: (),  # constant series (prices): the same for every job and fleet member
}
_SCRAPE_LABELS = frozenset({"job", "instance", "service"})
_OPERATORS = ("=~", "!~", "!=", "=")
_BRIGHTSTAFF = frozenset({Source.BRIGHTSTAFF})


def _config_matchers(source: Source) -> list[str]:
    """The fleet matcher and the config's extra matchers for metrics of ``source``."""
    cfg = config.current()
    if source is Source.RULES:
        return []
    parts = [f'{cfg.fleet.label}=~"${cfg.fleet.label}"'] if cfg.fleet.label else []
    extra = cfg.selectors.brightstaff if source in _BRIGHTSTAFF else cfg.selectors.envoy
    return parts + ([extra] if extra else [])


def fleet_by(by: Iterable[str]) -> tuple[str, ...]:
    """``by`` with the fleet label appended when one is configured (and not already there):
    a panel must never add up two Plano installations' series."""
    by = tuple(by)
    label = config.current().fleet.label
    return (*by, label) if label and label not in by else by


class QueryError(ValueError):
    """A query names a label or series its metric does not have."""


def _check_labels(metric: Metric, names: Iterable[str], allow_le: bool = False) -> None:
    fleet = {config.current().fleet.label} - {""}
    known = set(metric.labels) | _SCRAPE_LABELS | fleet | ({"le"} if allow_le else set())
    unknown = sorted(set(names) - known)
    if unknown:
        raise QueryError(f"{metric.name} has no label(s) {', '.join(unknown)}")


def matcher(label: str, spec: str) -> str:
    """``kind="prompt"`` from ``("kind", "prompt")``; a spec may lead with ``=~ != !~``."""
    for op in _OPERATORS:
        if spec.startswith(op) and op != "=":
            return f'{label}{op}"{spec[len(op):]}"'
    return f'{label}="{spec}"'


def selector(metric: Metric, suffix: str = "", ignore: Iterable[str] = (), **matchers: str) -> str:
    """The series name with the dashboard's variable matchers plus ``matchers``.

    ``ignore`` drops variable matchers, for a panel that must not follow a variable
    (a gateway-wide total compared with an unlabelled WASM histogram).
    """
    _check_labels(metric, matchers, allow_le=suffix == "_bucket")
    ignore = set(ignore)
    parts = [f'{label}=~"{var}"' for label, var in _SOURCE_MATCHERS[metric.source]
             if (label in _SCRAPE_LABELS or label in metric.labels) and label not in ignore]
    parts += _config_matchers(metric.source)
    parts += [matcher(label, spec) for label, spec in matchers.items()]
    return f"{metric.series(suffix)}{{{','.join(parts)}}}"


def _sum(expr: str, by: Iterable[str] = (), *, per_fleet: bool = True) -> str:
    by = fleet_by(by) if per_fleet else tuple(by)
    return f"sum by ({', '.join(by)}) ({expr})" if by else f"sum({expr})"


def rate(metric: Metric, suffix: str = "", by: Iterable[str] = (), ignore: Iterable[str] = (),
         **matchers: str) -> str:
    """``sum by (…) (rate(series{…}[$__rate_interval]))`` of a counter or histogram part.

    With ``recording_rules = true`` it reads the recorded rate instead
    (``sum by (…) (<level>:<series>:rate1m{…})``, see :func:`record_name`): the same
    value for the same window, one series per label set rather than per instance.
    """
    _require(metric, Kind.COUNTER, Kind.HISTOGRAM)
    by = tuple(by)
    _check_labels(metric, by, allow_le=suffix == "_bucket")
    if _recording() and recordable(metric):
        return _sum(_recorded_selector(metric, suffix, ignore, matchers), by)
    return _sum(f"rate({selector(metric, suffix, ignore, **matchers)}[{RATE_INTERVAL}])", by)


def increase_in_range(metric: Metric, suffix: str = "", by: Iterable[str] = (),
                      **matchers: str) -> str:
    """Total over the dashboard's time range; meant for instant queries."""
    _require(metric, Kind.COUNTER, Kind.HISTOGRAM)
    by = tuple(by)
    _check_labels(metric, by, allow_le=suffix == "_bucket")
    return _sum(f"increase({selector(metric, suffix, **matchers)}[{RANGE}])", by)


def gauge(metric: Metric, by: Iterable[str] = (), **matchers: str) -> str:
    _require(metric, Kind.GAUGE)
    by = tuple(by)
    _check_labels(metric, by)
    return _sum(selector(metric, **matchers), by)


def quantile(q: float, metric: Metric, by: Iterable[str] = (), **matchers: str) -> str:
    """``histogram_quantile(q, sum by (le, …) (rate(x_bucket{…}[$__rate_interval])))``."""
    _require(metric, Kind.HISTOGRAM)
    if not 0 < q < 1:
        raise QueryError(f"quantile {q} is not between 0 and 1")
    return f"histogram_quantile({q:g}, {rate(metric, '_bucket', ('le', *by), **matchers)})"


def mean(metric: Metric, by: Iterable[str] = (), **matchers: str) -> str:
    """Mean observation from ``_sum`` / ``_count``."""
    _require(metric, Kind.HISTOGRAM)
    return ratio(rate(metric, "_sum", by, **matchers), rate(metric, "_count", by, **matchers))


def heatmap(metric: Metric, *, over_range: bool = False, **matchers: str) -> str:
    """Bucket increments per step (or, ``over_range``, over the whole selected range, for
    an instant histogram), for a panel with Format = Heatmap.

    The one aggregation that keeps summing across the fleet label: bucket counts of the
    selected installations add up to their joint distribution (a quantile would not),
    and Grafana's heatmap needs exactly one series per ``le``.
    """
    _require(metric, Kind.HISTOGRAM)
    if _recording() and not over_range:  # increase over the window = recorded rate × window
        recorded = _recorded_selector(metric, "_bucket", (), matchers)
        return f"{_sum(recorded, ('le',), per_fleet=False)} * $__rate_interval_ms / 1000"
    # totals over the range stay raw, as increase_in_range does: one instant query
    window = RANGE if over_range else RATE_INTERVAL
    return _sum(f"increase({selector(metric, '_bucket', **matchers)}[{window}])", ("le",),
                per_fleet=False)


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


def share_by(metric: Metric, label: str, by: Iterable[str] = (), **matchers: str) -> str:
    """Each value of ``label`` as a share of all events: ``sum by (label, …) (rate(x)) /
    ignoring(label) group_left sum by (…) (rate(x))`` (outcomes as ratios)."""
    by = tuple(by)
    return (f"{rate(metric, by=(label, *by), **matchers)} / ignoring({label}) group_left "
            f"{rate(metric, by=by, **matchers)}")


def restarts_in_range(metric: Metric, per: str = "instance", **matchers: str) -> str:
    """Restarts over the range, per ``per``, from resets of a counter the process keeps:
    a restart resets every series that had counted, so the busiest series of each
    instance (``max``) counts each restart once."""
    _require(metric, Kind.COUNTER)
    _check_labels(metric, (per,))
    inner = f"max by ({', '.join(fleet_by((per,)))}) (resets({selector(metric, **matchers)}[{RANGE}]))"
    return _sum(inner, (per,))


def total(expr: str, by: Iterable[str] = ()) -> str:
    """``sum`` of an expression a builder made, keeping the fleet label like every other
    aggregation (dashboards never write ``sum(`` themselves)."""
    return _sum(expr, by)


# --- recording rules: the same builders for rules, and recorded series for dashboards ---
#
# A recorded rate is ``sum by (job, <fleet>, <every label of the metric>[, le])
# (rate(series[4 × scrape interval]))``: ``instance`` (and any other target label such as
# ``pod``) summed away, everything a panel filters or groups by kept. One naming rule maps
# (metric, series suffix) to its record, so the rule files and the dashboards can never
# disagree on a name.

#: Sources whose counters and histograms are scraped, hence recorded.
_RECORDED_SOURCES = frozenset({Source.WASM, Source.ENVOY_CLUSTER, Source.ENVOY_LISTENER,
                               Source.BRIGHTSTAFF})
#: Record levels (Prometheus naming: ``level:metric:operations``), after the labels kept.
_RECORD_LEVELS = ("provider_model", "cluster", "listener", "job")


def _record_level(metric: Metric) -> str:
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


def record_labels(metric: Metric, suffix: str = "") -> tuple[str, ...]:
    """Labels a recorded rate keeps: ``job``, the metric's own, ``le``, the fleet label."""
    return fleet_by(("job", *metric.labels, *(("le",) if suffix == "_bucket" else ())))


def record_name(metric: Metric, suffix: str = "", window: str | None = None) -> str:
    """``provider_model:brightstaff_llm_time_to_first_token_seconds_bucket:rate1m``."""
    from plano_grafana.model import windows

    window = window or windows.current().rate()
    return f"{_record_level(metric)}:{metric.series(suffix)}:rate{window}"


def recorded_from(name: str) -> str | None:
    """The raw series a record name pre-aggregates (``job:request_latency_count:rate1m`` ->
    ``request_latency_count``), or None when ``name`` is not one of ours."""
    level, _, rest = name.partition(":")
    series, _, operation = rest.rpartition(":")
    if level in _RECORD_LEVELS and series and operation.startswith("rate"):
        return series
    return None


def rule_selector(metric: Metric, suffix: str = "", **matchers: str) -> str:
    """A selector for a rule file: the config's extra matchers, no template variables."""
    _check_labels(metric, matchers, allow_le=suffix == "_bucket")
    cfg = config.current()
    extra = cfg.selectors.brightstaff if metric.source in _BRIGHTSTAFF else cfg.selectors.envoy
    parts = ([extra] if extra else []) + [matcher(label, spec) for label, spec in matchers.items()]
    return f"{metric.series(suffix)}{{{','.join(parts)}}}" if parts else metric.series(suffix)


def rule_rate(metric: Metric, window: str, suffix: str = "", by: Iterable[str] = (),
              **matchers: str) -> str:
    """``sum by (…, <fleet>) (rate(series{…}[window]))`` for a rule; the fleet label is kept."""
    _require(metric, Kind.COUNTER, Kind.HISTOGRAM)
    by = tuple(by)
    _check_labels(metric, by, allow_le=suffix == "_bucket")
    return _sum(f"rate({rule_selector(metric, suffix, **matchers)}[{window}])", by)


def record_expr(metric: Metric, suffix: str = "") -> str:
    """The expression of a recorded rate (see :func:`record_name`)."""
    from plano_grafana.model import windows

    return rule_rate(metric, windows.current().rate(), suffix, record_labels(metric, suffix))


def _recorded_selector(metric: Metric, suffix: str, ignore: Iterable[str],
                       matchers: Mapping[str, str]) -> str:
    """The record with the dashboard's variables, minus ``instance`` (summed away) and
    minus the config's extra matchers (applied when the rate was recorded)."""
    _check_labels(metric, matchers, allow_le=suffix == "_bucket")
    kept = set(record_labels(metric, suffix))
    ignore = set(ignore)
    parts = [f'{label}=~"{var}"' for label, var in _SOURCE_MATCHERS[metric.source]
             if label in kept and label not in ignore]
    label = config.current().fleet.label
    if label:
        parts.append(f'{label}=~"${label}"')
    parts += [matcher(k, spec) for k, spec in matchers.items()]
    return f"{record_name(metric, suffix)}{{{','.join(parts)}}}"


def _recording() -> bool:
    """Dashboards read recorded rates when the config says so (``recording_rules = true``)."""
    return config.current().recording_rules


def topk(k: int, expr: str) -> str:
    return f"topk({k}, {expr})"


def _require(metric: Metric, *kinds: Kind) -> None:
    if metric.kind not in kinds:
        names = " or ".join(k.value for k in kinds)
        raise QueryError(f"{metric.name} is a {metric.kind.value}, this query needs a {names}")


def variable_values(metric: Metric, label: str, **matchers: str) -> str:
    """``label_values(metric{…}, label)`` for a template variable."""
    _check_labels(metric, (label,))
    parts = [matcher(k, v) for k, v in matchers.items()]
    if label != config.current().fleet.label:
        parts = _config_matchers(metric.source) + parts
    else:
        extra = _config_matchers(metric.source)[1:]
        parts = extra + parts
    sel = f"{{{','.join(parts)}}}" if parts else ""
    return f"label_values({metric.series('_count' if metric.kind is Kind.HISTOGRAM else '')}{sel}, {label})"


# --- money: token counters joined with the constant price series of rules/prices.py.
#: The labels a token counter and a price series share.
PRICE_KEY = ("provider", "model", "kind")


def _window(func: str) -> str:
    if func not in ("rate", "increase"):
        raise QueryError(f"priced queries take rate or increase, not {func!r}")
    return RATE_INTERVAL if func == "rate" else RANGE


def _counted(metric: Metric, func: str, **matchers: str) -> str:
    """Per-series ``rate``/``increase`` of a counter before a price join; in recording-rule
    mode a rate is the recorded one (it keeps provider, model and kind, the join key)."""
    if func == "rate" and _recording() and recordable(metric):
        return _recorded_selector(metric, "", (), matchers)
    return f"{func}({selector(metric, **matchers)}[{_window(func)}])"


def price_lookup(price: Metric, on: Iterable[str] = PRICE_KEY, **matchers: str) -> str:
    """One price series per ``on`` key: ``max by`` drops the labels an HA pair or a
    remote-write layer adds, which would otherwise make ``group_left`` ambiguous."""
    _require(price, Kind.GAUGE)
    on = tuple(on)
    _check_labels(price, on)
    return f"max by ({', '.join(on)}) ({selector(price, **matchers)})"


def priced(metric: Metric, price: Metric, by: Iterable[str] = (), func: str = "rate",
           **matchers: str) -> str:
    """Σ counter × price per unit, e.g. USD/s: ``sum by (…) (rate(x{…}[…]) * on(provider,
    model, kind) group_left max by (…) (price))``. Counter series without a price drop
    out of the join; :func:`unpriced` shows them."""
    _require(metric, Kind.COUNTER)
    by = tuple(by)
    _check_labels(metric, by)
    counted = _counted(metric, func, **matchers)
    return _sum(f"{counted} * on({', '.join(PRICE_KEY)}) group_left {price_lookup(price)}", by)


def unpriced(metric: Metric, price: Metric, by: Iterable[str] = (), func: str = "rate",
             **matchers: str) -> str:
    """The counter's series that have no price: ``sum by (…) (rate(x[…]) unless on(…) price)``."""
    _require(metric, Kind.COUNTER)
    by = tuple(by)
    _check_labels(metric, by)
    counted = _counted(metric, func, **matchers)
    return _sum(f"{counted} unless on({', '.join(PRICE_KEY)}) {selector(price)}", by)


def rate_where_priced(metric: Metric, price: Metric, by: Iterable[str] = (),
                      **matchers: str) -> str:
    """Rate of the series of ``metric`` whose ``(provider, model)`` has a price: a
    per-response denominator that unpriced models must not dilute."""
    _require(metric, Kind.COUNTER)
    by = tuple(by)
    _check_labels(metric, by)
    counted = _counted(metric, "rate", **matchers)
    return _sum(f"{counted} and on(provider, model) {selector(price)}", by)


def price_gap(metric: Metric, price: Metric, kind: str, versus: str, by: Iterable[str] = (),
              func: str = "rate", **matchers: str) -> str:
    """Tokens of ``kind`` × (price of ``versus`` − price of ``kind``): what those tokens
    would have cost more at the other kind's price (cache reads vs uncached input)."""
    _require(metric, Kind.COUNTER)
    by = tuple(by)
    _check_labels(metric, by)
    pm = ("provider", "model")
    gap = (f"({price_lookup(price, pm, kind=versus)} - {price_lookup(price, pm, kind=kind)})")
    counted = _counted(metric, func, **matchers, kind=kind)
    return _sum(f"{counted} * on({', '.join(pm)}) group_left() {gap}", by)
