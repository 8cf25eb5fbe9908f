"""Prove a compiled dashboard against a real Prometheus and the simulator's truth.

Variables are resolved the way Grafana resolves them (``label_values`` through the
series API, the variable's regex, "All" as an alternation of the values); every target
is run; quantile lines are compared with the exact quantile of what the simulator
recorded, named by the panel's *legend or title* (what the panel claims to show), so
a query that computes another quantile, reads another metric or rescales the unit fails.
"""

from __future__ import annotations

import math
import re

import attr

from plano_grafana import catalogue as c
from plano_grafana.expand import expand, regex_alternation
from plano_grafana.lint import query_panels
from plano_grafana.truth import TruthLog, bucket_bounds

_LABEL_VALUES = re.compile(r"^label_values\((?:(.*),\s*)?(\w+)\)$")
_QUANTILE = re.compile(r"^histogram_quantile\(([0-9.]+), sum by \(le(?:, ([\w, ]+))?\) "
                       r"\(rate\((\w+)_bucket\{")
_NAMED = re.compile(r"\bp(\d+(?:\.\d+)?)\b")
TRUTH_LABELS = {"envoy_cluster_name", "provider", "model", "handler", "route"}


@attr.s
class Context:
    prom: object = attr.ib()
    truth: TruthLog = attr.ib()
    at: float = attr.ib()
    rate_interval: str = attr.ib(default="10s")
    range_: str = attr.ib(default="20s")
    errors: list = attr.ib(factory=list)
    quantile_errors: list = attr.ib(factory=list)  # (relative error, where)

    @property
    def window(self) -> float:
        return float(self.rate_interval.rstrip("s"))


def resolve_variables(ctx: Context, dashboard: dict) -> dict[str, str]:
    """Each query variable set to All, in order, as Grafana's Prometheus datasource does."""
    values: dict[str, str] = {}
    for var in dashboard["templating"]["list"]:
        if var["type"] != "query":
            continue
        m = _LABEL_VALUES.match(var["query"])
        if not m:
            ctx.errors.append(f"{dashboard['uid']}: variable ${var['name']}: unsupported query")
            continue
        selector, label = m.group(1), m.group(2)
        params = {"match[]": expand(selector, values)} if selector else {}
        found = ctx.prom.api(f"label/{label}/values", **params)
        regex = var.get("regex") or ""
        if regex:
            pattern = re.compile(regex.strip("/"))
            found = [v for v in found if pattern.search(v)]
        if not found:
            ctx.errors.append(f"{dashboard['uid']}: variable ${var['name']} resolved to no values")
        values[var["name"]] = regex_alternation(found) or "__none__"
        values.setdefault("datasource", "")
    return values


def _series_labels(series: dict) -> dict[str, str]:
    return {k: v for k, v in series["metric"].items() if k in TRUTH_LABELS}


def _claimed_quantile(target: dict, panel: dict) -> float | None:
    named = _NAMED.findall(target.get("legendFormat", "")) or _NAMED.findall(panel["title"])
    return float(named[0]) / 100 if len(named) == 1 else None


def check_quantile(ctx: Context, where: str, target: dict, panel: dict, expr: str) -> None:
    m = _QUANTILE.match(target["expr"])
    if not m:
        return
    family = m.group(3)
    claimed = _claimed_quantile(target, panel)
    if claimed is None:
        ctx.errors.append(f"{where}: cannot tell which quantile the panel claims")
        return
    try:
        metric = c.lookup(family)
    except KeyError:
        return  # reported as "no data" already
    unit = panel["fieldConfig"]["defaults"].get("unit")
    if unit != metric.unit:
        ctx.errors.append(f"{where}: unit {unit!r} but {family} is recorded in {metric.unit!r}")
    since = ctx.at - ctx.window
    for series in ctx.prom.query(expr, ctx.at):
        got = float(series["value"][1])
        labels = _series_labels(series)
        truth = ctx.truth.quantile(family, claimed, since, ctx.at, **labels)
        if math.isnan(truth) or math.isnan(got):
            continue
        # histogram_quantile interpolates inside the bucket holding the quantile; allow the
        # buckets of the neighbouring ranks (sampling noise between scrape and truth windows)
        lo_q = ctx.truth.quantile(family, max(claimed - 0.02, 0), since, ctx.at, **labels)
        hi_q = ctx.truth.quantile(family, min(claimed + 0.02, 1), since, ctx.at, **labels)
        lower = bucket_bounds(metric.buckets, lo_q)[0]
        upper = bucket_bounds(metric.buckets, hi_q)[1]
        ctx.quantile_errors.append((abs(got - truth) / truth if truth else 0.0,
                                    f"{where} {labels or ''} p{claimed * 100:g}"))
        if not lower <= got <= upper:
            ctx.errors.append(
                f"{where}: {series['metric'] or ''} shows {got:g} but the true "
                f"p{claimed * 100:g} is {truth:g} {metric.unit} (bucket range {lower:g}–{upper:g})")


def prove(ctx: Context, dashboard: dict, checks: dict | None = None) -> list[str]:
    """Run every variable and target; returns the failures, each naming dashboard and panel."""
    start = len(ctx.errors)
    values = resolve_variables(ctx, dashboard)
    for panel in query_panels(dashboard):
        for target in panel["targets"]:
            where = f"{dashboard['uid']}: panel {panel['title']!r} target {target['refId']}"
            expr = expand(target["expr"], values, rate_interval=ctx.rate_interval,
                          range_=ctx.range_)
            try:
                result = ctx.prom.query(expr, ctx.at)
                if target.get("range", True) and not target.get("instant"):
                    ctx.prom.api("query_range", query=expr, start=f"{ctx.at - 10:.3f}",
                                 end=f"{ctx.at:.3f}", step="5")
            except Exception as exc:
                ctx.errors.append(f"{where}: query error: {exc}")
                continue
            if not result:
                ctx.errors.append(f"{where}: no data for {expr}")
                continue
            check_quantile(ctx, where, target, panel, expr)
            check = (checks or {}).get((dashboard["uid"], panel["title"], target["refId"]))
            if check:
                check(ctx, where, result)
    return ctx.errors[start:]


def near(ctx: Context, where: str, got: float, want: float, tolerance: float, what: str) -> None:
    if want == 0 and abs(got) < 1e-9:
        return
    if math.isnan(got) or abs(got - want) > tolerance * max(abs(want), 1e-9):
        ctx.errors.append(f"{where}: {what} is {got:.4g}, truth {want:.4g} "
                          f"(tolerance {tolerance:.0%})")
