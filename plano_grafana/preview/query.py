"""Run a dashboard's targets against Prometheus the way Grafana's Prometheus datasource does.

What makes a preview honest is that it asks Prometheus the same questions Grafana will:

- template variables resolved in order through ``/api/v1/label/<label>/values`` with the
  variable's selector and regex, by the resolver the proof uses too
  (:mod:`plano_grafana.build.variables`, Grafana's regex semantics); a variable opens on
  its saved value when Prometheus has it, else on All;
- ``$__interval`` = the range divided by the panel's width in pixels (Grafana's
  ``maxDataPoints``), never below the scrape interval, rounded to Grafana's steps;
  ``$__rate_interval`` = max(``$__interval`` + scrape interval, 4 × scrape interval)
  (``calculateRateInterval`` in Grafana's ``promlib/models/query.go``); ``$__range`` =
  the range in whole seconds;
- range targets go to ``query_range`` with start and end aligned to the step, instant
  targets (``"instant": true``, totals over ``$__range``) to ``query`` at the end;
- legends resolve ``{{label}}``; ``format: heatmap`` turns cumulative ``le`` buckets into
  per-bucket counts, as Grafana does before drawing.
"""

from __future__ import annotations

import base64
import json
import math
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping

import attr

from plano_grafana.build import variables
from plano_grafana.build.expand import expand
from plano_grafana.build.variables import js_regex as js_regex  # preview.overrides reads regexes so too
from plano_grafana.errors import PlanoGrafanaError
from plano_grafana.model import durations

_LEGEND = re.compile(r"\{\{\s*(.+?)\s*\}\}")
#: Grafana's ``gtime.RoundInterval``: (upper bound, rounded value) in seconds.
_ROUNDING = ((0.01, 0.001), (0.015, 0.01), (0.035, 0.02), (0.075, 0.05), (0.15, 0.1), (0.35, 0.2),
             (0.75, 0.5), (1.5, 1), (3.5, 2), (7.5, 5), (12.5, 10), (17.5, 15), (25, 20), (45, 30),
             (90, 60), (210, 120), (450, 300), (750, 600), (1050, 900), (1500, 1200), (2700, 1800),
             (5400, 3600), (9000, 7200), (16200, 10800), (32400, 21600), (86400, 43200),
             (172800, 86400), (604800, 86400), (1814400, 604800), (3628800, 2592000))
#: Grafana never asks for more points than this (``safeResolution``).
SAFE_RESOLUTION = 11000


class PrometheusUnreachable(PlanoGrafanaError):
    """Prometheus did not answer at all: nothing can be drawn."""


class QueryError(Exception):
    """Prometheus answered with an error for one query (bad PromQL, timeout, ...)."""


def round_interval(seconds: float) -> float:
    for bound, rounded in _ROUNDING:
        if seconds <= bound:
            return rounded
    return 31536000.0


@attr.s(frozen=True)
class Intervals:
    """The built-in variables of one panel's queries, in seconds."""

    interval: float = attr.ib()
    step: float = attr.ib()
    rate_interval: float = attr.ib()
    range: float = attr.ib()

    def expand(self, expr: str, variables: Mapping[str, str]) -> str:
        return expand(expr, variables, rate_interval=durations.text(self.rate_interval),
                      range_=f"{round(self.range)}s", interval=durations.text(self.interval))


def intervals(range_seconds: float, max_data_points: int, scrape_seconds: float) -> Intervals:
    """``$__interval``, the step, and ``$__rate_interval`` as Grafana computes them."""
    raw = range_seconds / max(max_data_points, 1)
    interval = round_interval(scrape_seconds if raw < scrape_seconds else raw)
    step = max(interval, range_seconds / SAFE_RESOLUTION)
    rate = max(interval + scrape_seconds, 4 * scrape_seconds)
    return Intervals(interval, step, rate, range_seconds)


@attr.s(frozen=True)
class Series:
    """One series as a panel sees it: display name, labels, timestamps and values."""

    name: str = attr.ib()
    labels: dict = attr.ib()
    times: tuple = attr.ib()
    values: tuple = attr.ib()

    @property
    def last(self) -> float | None:
        for value in reversed(self.values):
            if not math.isnan(value):
                return value
        return None


@attr.s(frozen=True)
class TargetResult:
    ref_id: str = attr.ib()
    expr: str = attr.ib()
    series: tuple = attr.ib(factory=tuple)
    error: str | None = attr.ib(default=None)


class Prometheus:
    """A minimal client of Prometheus's HTTP API (stdlib only, bounded timeouts).

    Credentials in the URL (``https://user:pass@host``) become a basic-auth header and
    never appear in a message: :attr:`url` is the address without them.
    """

    def __init__(self, url: str, timeout: float = 30):
        parts = urllib.parse.urlsplit(url.rstrip("/"))
        self.headers: dict[str, str] = {}
        if parts.username is not None:
            secret = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
            self.headers["Authorization"] = "Basic " + base64.b64encode(secret.encode()).decode()
            parts = parts._replace(netloc=parts.netloc.rpartition("@")[2])
        self.url = urllib.parse.urlunsplit(parts)
        self.timeout = timeout

    def api(self, path: str, **params) -> dict:
        query = urllib.parse.urlencode(params, doseq=True)
        request = urllib.request.Request(f"{self.url}/api/v1/{path}?{query}", headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = json.load(response)
        except urllib.error.HTTPError as exc:
            try:
                body = json.load(exc)
            except ValueError:
                raise QueryError(f"HTTP {exc.code} from Prometheus") from exc
        except TimeoutError as exc:  # answered the check, but not this query in time
            raise QueryError(f"no answer within {self.timeout:g} s") from exc
        except (OSError, ValueError) as exc:
            raise PrometheusUnreachable(f"cannot reach Prometheus at {self.url}: {_reason(exc)}") from exc
        if body.get("status") != "success":
            raise QueryError(body.get("error") or str(body))
        return body["data"]

    def check(self) -> None:
        """Raise :class:`PrometheusUnreachable` unless Prometheus answers a trivial query."""
        try:
            self.api("query", query="1")
        except QueryError as exc:
            raise PrometheusUnreachable(f"{self.url} does not answer like Prometheus: {exc}") from exc


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    return getattr(reason, "strerror", None) or str(reason)


def resolve_variables(prom: Prometheus, dashboard: dict, start: float, end: float) -> dict[str, str]:
    """Every variable's PromQL value (:mod:`plano_grafana.build.variables`): the saved
    selection if Prometheus still has it, else All; label values over the time range."""
    def label_values(label: str, selector: str | None) -> list[str]:
        params: dict = {"start": f"{start:.3f}", "end": f"{end:.3f}"}
        if selector:
            params["match[]"] = selector
        try:
            return prom.api(f"label/{label}/values", **params)
        except QueryError:
            return []

    return variables.values(variables.resolve(dashboard, label_values))


def legend(fmt: str, labels: Mapping[str, str], expr: str) -> str:
    """Grafana's series name: the legend format with ``{{label}}`` filled in, or the
    ``name{label="value", ...}`` of the series when there is no format."""
    if fmt and fmt != "__auto":
        return _LEGEND.sub(lambda m: labels.get(m.group(1), ""), fmt)
    name = labels.get("__name__", "")
    rest = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    if not name and not rest:
        return expr
    return f"{name}{{{rest}}}" if rest else name


def _le(series: Series) -> float:
    try:
        return float(series.labels.get("le", "nan"))
    except ValueError:
        return math.nan


def decumulate(series: Iterable[Series]) -> list[Series]:
    """Cumulative ``le`` buckets → count per bucket, sorted by bound (Grafana's heatmap format)."""
    ordered = sorted(series, key=_le)
    out: list[Series] = []
    previous: dict[float, float] = {}
    for s in ordered:
        values = []
        for t, v in zip(s.times, s.values, strict=True):
            below = previous.get(t, 0.0)
            values.append(v - below if not math.isnan(below) else v)
        previous = dict(zip(s.times, s.values, strict=True))
        out.append(attr.evolve(s, values=tuple(values)))
    return out


def run_target(prom: Prometheus, target: dict, variables: Mapping[str, str], spans: Intervals,
               end: float) -> TargetResult:
    """One target over the window; a Prometheus error is kept as the result's error."""
    ref = target.get("refId", "A")
    try:
        expr = spans.expand(target.get("expr", ""), variables)
    except KeyError as exc:
        return TargetResult(ref, target.get("expr", ""), error=str(exc.args[0]))
    instant = bool(target.get("instant")) and not target.get("range", False)
    try:
        if instant:
            data = prom.api("query", query=expr, time=f"{end:.3f}")
        else:
            step = spans.step
            start = math.floor((end - spans.range) / step) * step
            stop = math.floor(end / step) * step
            data = prom.api("query_range", query=expr, start=f"{start:.3f}", end=f"{stop:.3f}",
                            step=durations.text(step))
    except QueryError as exc:
        return TargetResult(ref, expr, error=str(exc))
    fmt = target.get("legendFormat", "")
    series = []
    for item in data.get("result", []):
        labels = item.get("metric", {})
        points = item.get("values") or ([item["value"]] if "value" in item else [])
        series.append(Series(legend(fmt, labels, expr), labels,
                             tuple(float(t) for t, _ in points), tuple(float(v) for _, v in points)))
    if target.get("format") == "heatmap":
        series = decumulate(series)
    return TargetResult(ref, expr, tuple(series))
