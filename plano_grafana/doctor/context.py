"""What doctor asks Prometheus once, shared by every check.

The scrape targets (``/api/v1/targets``; from ``up`` alone where the API is missing, as
behind Thanos Query or Mimir), which side of Plano each serves, every metric name
Prometheus holds, and which catalogue series exist now under the config's selectors.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable

import attr

from plano_grafana.doctor import names
from plano_grafana.doctor.graph import Graph
from plano_grafana.model import catalogue as c
from plano_grafana.model import durations
from plano_grafana.model.config import Config
from plano_grafana.preview.query import Prometheus, QueryError

#: Envoy's admin paths that serve stats (``/stats?format=prometheus``, ``/stats/prometheus``).
_ENVOY_PATHS = ("/stats", "/stats/prometheus")
#: brightstaff's metrics port (``METRICS_BIND_ADDRESS`` default, Plano's monitoring docs).
BRIGHTSTAFF_PORT = 9092


@attr.s(frozen=True)
class Target:
    """One scrape target as Prometheus reports it."""

    job: str = attr.ib()
    instance: str = attr.ib()
    labels: dict = attr.ib(eq=False)
    health: str = attr.ib()  # up, down, unknown
    last_error: str = attr.ib(default="")
    scrape_url: str = attr.ib(default="")
    interval: float | None = attr.ib(default=None)  # seconds
    side: str | None = attr.ib(default=None)

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.scrape_url).path

    @property
    def params(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.scrape_url).query)

    @property
    def port(self) -> int | None:
        try:
            return urllib.parse.urlsplit(self.scrape_url).port
        except ValueError:
            return None

    def name(self) -> str:
        return f"job={self.job} instance={self.instance}"


@attr.s
class Context:
    """Prometheus, the config, the graph, and the facts the checks share."""

    prom: Prometheus = attr.ib()
    cfg: Config = attr.ib()
    graph: Graph = attr.ib()
    end: float = attr.ib()
    range_seconds: float = attr.ib()
    targets: list[Target] = attr.ib(factory=list)
    targets_api: bool = attr.ib(default=True)
    #: every metric name Prometheus holds in the range
    names: set[str] = attr.ib(factory=set)
    #: catalogue series with a sample now, under the config's selector, per side
    present: dict[str, set[str]] = attr.ib(factory=dict)

    def query(self, expr: str, at: float | None = None) -> list[dict]:
        """An instant query at the end of the range (or ``at``); [] when Prometheus refuses it."""
        try:
            when = self.end if at is None else at
            return self.prom.api("query", query=expr, time=f"{when:.3f}")["result"]
        except QueryError:
            return []

    def has(self, metric: c.Metric) -> bool:
        """Whether a family has a series now under the config's names and selectors."""
        side = names.side(metric)
        found = self.present.get(side, set()) if side else self.names
        return any(s in found for s in names.series_names(metric, self.cfg))

    def side_targets(self, side: str) -> list[Target]:
        return [t for t in self.targets if t.side == side]


def name_regex(series: Iterable[str]) -> str:
    return "|".join(re.escape(s) for s in sorted(series))


def _jobs_exporting(ctx: Context, pattern: str) -> set[str]:
    return {r["metric"].get("job", "") for r in ctx.query(f'group by (job) ({{__name__=~"{pattern}"}})')}


def _side(target: Target, envoy_jobs: set[str], brightstaff_jobs: set[str]) -> str | None:
    if target.job in brightstaff_jobs:
        return names.BRIGHTSTAFF
    if target.job in envoy_jobs or target.path in _ENVOY_PATHS:
        return names.ENVOY
    if target.path == "/metrics" and (target.port == BRIGHTSTAFF_PORT or "brightstaff" in target.job):
        return names.BRIGHTSTAFF
    return None


def _interval(text: str | None) -> float | None:
    try:
        return durations.seconds(text) if text else None
    except ValueError:
        return None


def _targets(ctx: Context) -> None:
    # a renamed brightstaff (a prefix) still ends in brightstaff_build_info
    envoy_jobs = _jobs_exporting(ctx, re.escape(c.SERVER_LIVE.name))
    brightstaff_jobs = _jobs_exporting(ctx, ".*" + re.escape(c.BS_BUILD_INFO.name))
    try:
        active = ctx.prom.api("targets", state="active").get("activeTargets", [])
    except QueryError:
        ctx.targets_api = False
        active = [{"labels": r["metric"], "health": "up" if r["value"][1] == "1" else "down"}
                  for r in ctx.query("up")]
    for item in active:
        labels = item.get("labels", {})
        target = Target(labels.get("job", ""), labels.get("instance", ""), labels,
                        item.get("health", "unknown"), item.get("lastError", ""),
                        item.get("scrapeUrl", ""), _interval(item.get("scrapeInterval")))
        ctx.targets.append(attr.evolve(target, side=_side(target, envoy_jobs, brightstaff_jobs)))


def gather(prom: Prometheus, cfg: Config, graph: Graph, end: float, range_seconds: float) -> Context:
    """Ask Prometheus what every check needs to know, once."""
    ctx = Context(prom, cfg, graph, end, range_seconds)
    _targets(ctx)
    start = end - range_seconds
    try:
        ctx.names = set(prom.api("label/__name__/values", start=f"{start:.3f}", end=f"{end:.3f}"))
    except QueryError:
        ctx.names = set()
    for side in (names.ENVOY, names.BRIGHTSTAFF):
        wanted = {s for m in names.families(side) for s in names.series_names(m, cfg)}
        selector = names.selector(cfg, side)
        extra = f", {selector}" if selector else ""
        found = ctx.query(f'group by (__name__) ({{__name__=~"{name_regex(wanted)}"{extra}}})')
        ctx.present[side] = {r["metric"].get("__name__", "") for r in found}
    return ctx

