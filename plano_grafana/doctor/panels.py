"""Check 6, panels: every target of every selected dashboard, run as ``preview`` runs it.

Variables open on their saved value or All and ``$__rate_interval`` comes from the
config's scrape interval (the datasource's ``timeInterval`` as deploy sets it), all by
:mod:`plano_grafana.preview.query`. A panel is ``error`` when a target fails, ``empty``
when no target returns a value, ``ok`` otherwise. The cause of an empty or failed panel
is the first finding that affects what it reads, likely causes first; failing that, "the
condition did not occur in the range" for an expression that filters (``unless``, a
comparison, a label value such as 5xx), or the first of its selectors with no series.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import promql_parser as pp

from plano_grafana.doctor import names
from plano_grafana.doctor.context import Context
from plano_grafana.doctor.findings import CHECKS, Finding, PanelStatus
from plano_grafana.doctor.graph import PanelNeeds
from plano_grafana.lint import syntax
from plano_grafana.model import durations
from plano_grafana.preview.query import (
    Intervals,
    TargetResult,
    intervals,
    resolve_variables,
    run_target,
)

#: Findings that explain a panel, in the order they are tried: causes before facts, a
#: missing family (a symptom) last.
_PRIORITY = ("causes", "targets", "rules", "data", "versions", "families")
#: Grafana's maxDataPoints is the panel's width in pixels: a 24-column dashboard on a
#: 1920 px screen gives each column about this many.
_PX_PER_COLUMN = 76
CONDITION = "the condition did not occur in the range"


def _max_points(panel: dict) -> int:
    return max(1, int(panel.get("gridPos", {}).get("w", 12) * _PX_PER_COLUMN))


def _attributed(needs: frozenset[str], findings: Sequence[Finding]) -> Finding | None:
    ranked = sorted((f for f in findings if f.severity != "info" and f.affects & needs),
                    key=lambda f: (_PRIORITY.index(f.check) if f.check in _PRIORITY
                                   else len(CHECKS), CHECKS.index(f.check)))
    return ranked[0] if ranked else None


def _selectors(results: Sequence[TargetResult]) -> list[tuple[str, float | None]]:
    """Each vector selector of the expanded queries, with its range window in seconds."""
    out = []
    for result in results:
        try:
            tree = syntax.parse(result.expr)
        except syntax.PromQLError:
            continue
        for node in syntax.nodes(tree):
            if isinstance(node, pp.MatrixSelector):
                out.append((names.selector_text(node.vector_selector), node.range.total_seconds()))
            elif isinstance(node, pp.VectorSelector) and \
                    names.selector_text(node) not in {text for text, _ in out}:
                out.append((names.selector_text(node), None))
    return out


def _probe(ctx: Context, results: Sequence[TargetResult], spans: Intervals) -> str | None:
    """Why selectors that should have data do not: none in the range, or too few samples
    in the last ``$__rate_interval`` for a rate."""
    window = f"{round(ctx.range_seconds)}s"
    selectors = _selectors(results)
    for text, _ in selectors:
        if not ctx.query(f"count(last_over_time({text}[{window}]))"):
            return f"no series match {text} in the range"
    rate = spans.rate_interval
    last_step = math.floor(ctx.end / spans.step) * spans.step  # where the range query ends
    for text, seconds in selectors:
        window = f"{text}[{durations.text(rate)}]"
        if seconds is not None and abs(seconds - rate) < 1e-6 and \
                not ctx.query(f"max(count_over_time({window})) >= 2", at=last_step):
            return (f"fewer than two samples of {text} in the $__rate_interval "
                    f"({durations.text(rate)}) before the last step: Prometheus began scraping "
                    "it only just, or "
                    "scrapes it less often than the config's scrape_interval")
    return None


def _cause(ctx: Context, item: PanelNeeds, results: Sequence[TargetResult], spans: Intervals,
           findings: Sequence[Finding], failed: bool) -> str:
    found = _attributed(item.needs, findings)
    if found:
        return found.message
    if failed:
        return next(f"{r.ref_id}: {r.error}" for r in results if r.error)
    probed = _probe(ctx, results, spans)
    if probed:
        return probed
    if item.condition:
        return CONDITION
    return "every selector has series in the range, yet the expression returns nothing"


def check(ctx: Context, dashboards: Sequence[dict], findings: Sequence[Finding],
          workers: int = 8) -> list[PanelStatus]:
    start = ctx.end - ctx.range_seconds
    scrape = ctx.cfg.scrape_interval
    statuses = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        jobs = []
        for dashboard in dashboards:
            uid = dashboard.get("uid", "")
            variables = resolve_variables(ctx.prom, dashboard, start, ctx.end)
            for item in (p for p in ctx.graph.panels if p.uid == uid):
                spans = intervals(ctx.range_seconds, _max_points(item.panel), scrape)
                futures = [pool.submit(run_target, ctx.prom, t, variables, spans, ctx.end)
                           for t in item.panel.get("targets", []) if t.get("expr")]
                jobs.append((item, spans, futures))
        for item, spans, futures in jobs:
            results = [f.result() for f in futures]
            failed = any(r.error for r in results)
            has_data = any(s.values for r in results for s in r.series)
            status = "error" if failed else "ok" if has_data else "empty"
            cause = "" if status == "ok" else _cause(ctx, item, results, spans, findings,
                                                          failed)
            statuses.append(PanelStatus(item.uid, item.title, status, cause))
    return statuses
