"""A PromQL syntax tree for the lint rules that read meaning (names, windows, quantiles).

Regexes over query text miss shapes the dashboards can take (``sum(rate(x[…]))`` has
no ``{`` after the name), so these rules walk the tree that ``promql-parser`` (the
Rust parser behind GreptimeDB, as a Python extension) builds. Grafana's variables are
expanded first; ``$__rate_interval``, ``$__range`` and ``$__interval`` become sentinel
durations nobody writes by hand, so a window in the tree can be named back.
``promtool`` stays the authoritative syntax check (lint rule ``promql``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from datetime import timedelta

import promql_parser as pp

from plano_grafana.build.expand import expand

#: Grafana's built-in interval variables and the sentinel durations they expand to.
_SENTINELS = {"$__rate_interval": "1111111ms", "$__range": "2222222ms", "$__interval": "3333333ms"}
_NAMES = {pp.parse_duration(v): k for k, v in _SENTINELS.items()}


class PromQLError(ValueError):
    """The expression does not parse."""


@functools.lru_cache(maxsize=4096)
def parse(expr: str) -> pp.Expr:
    """The syntax tree of plain PromQL; :class:`PromQLError` names the parse error.

    Cached: several rules read each target, and nothing mutates a tree."""
    try:
        return pp.parse(expr)
    except (ValueError, RuntimeError) as exc:
        raise PromQLError(str(exc)) from None


def parse_grafana(expr: str, variables: Mapping[str, str]) -> pp.Expr:
    """Parse a panel expression with Grafana's variables expanded (windows as sentinels)."""
    return parse(expand(expr, variables, rate_interval=_SENTINELS["$__rate_interval"],
                        range_=_SENTINELS["$__range"], interval=_SENTINELS["$__interval"]))


def nodes(tree: pp.Expr) -> Iterator[pp.Expr]:
    """Every node of the tree, depth first, parents before children."""
    found: list[pp.Expr] = []
    pp.walk(tree, lambda node: found.append(node))
    return iter(found)


def duration_name(delta: timedelta) -> str:
    """``$__rate_interval`` for its sentinel, else the duration as PromQL writes it."""
    return _NAMES.get(delta) or pp.display_duration(delta)


def windows(tree: pp.Expr) -> list[str]:
    """Each range window as written: ``$__rate_interval``, ``5m``, ``$__range:`` (subquery)."""
    out = []
    for node in nodes(tree):
        if isinstance(node, pp.MatrixSelector):
            out.append(duration_name(node.range))
        elif isinstance(node, pp.SubqueryExpr):
            step = duration_name(node.step) if node.step else ""
            out.append(f"{duration_name(node.range)}:{step}")
    return out


def ranges(tree: pp.Expr) -> list[timedelta]:
    """The range of every range selector and subquery (a subquery's step is not a window)."""
    return [node.range for node in nodes(tree)
            if isinstance(node, pp.MatrixSelector | pp.SubqueryExpr)]


def selector_name(node: pp.VectorSelector) -> str | None:
    """The metric name of a selector, also when written as ``{__name__="x"}``."""
    if node.name:
        return node.name
    for m in node.matchers.matchers:
        if m.name == "__name__" and m.op == pp.MatchOp.Equal:
            return m.value
    return None


def metric_names(tree: pp.Expr) -> set[str]:
    """Every series name a selector of the tree reads."""
    return {name for node in nodes(tree) if isinstance(node, pp.VectorSelector)
            for name in [selector_name(node)] if name}


def function_name(node: pp.Expr) -> str | None:
    return node.func.name if isinstance(node, pp.Call) else None


def quantiles(tree: pp.Expr) -> list[float | None]:
    """The first argument of every ``histogram_quantile`` (None when it is not a number)."""
    out: list[float | None] = []
    for node in nodes(tree):
        if function_name(node) == "histogram_quantile":
            arg = unparen(node.args[0])
            out.append(arg.val if isinstance(arg, pp.NumberLiteral) else None)
    return out


def unparen(node: pp.Expr) -> pp.Expr:
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    return node


def op(node: pp.Expr) -> str:
    """The operator of an aggregation or binary expression as PromQL spells it (``sum``, ``/``)."""
    return str(node.op)
