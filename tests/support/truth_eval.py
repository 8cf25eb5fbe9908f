"""Evaluate a panel's PromQL over the simulator's truth log: what the panel *should* show.

The proof (tests/support/proof.py) runs every target on a real Prometheus and compares
the answer with this evaluation of the same syntax tree over the events the simulator
recorded, so the truth is matched to the target through the metric names and labels the
catalogue's query builders wrote, never by panel position or title.

This module is the PromQL interpreter: operators, aggregations, functions, subqueries and
recorded series. What a selector of a raw series reads at each scrape (an interval the
exporter's timing allows) is :mod:`tests.support.truth_reader`'s job. Here:

* ``rate``/``increase`` extrapolate to the window's edges as Prometheus documents
  (``extrapolatedRate``), over the real scrape instants the reader returns.
* ``histogram_quantile`` gives the *exact* quantile of the raw observations behind the
  buckets (not an interpolation of buckets), with the bucket range around the neighbouring
  ranks, and the bucket Prometheus's rank (q·n, not q·(n−1)) falls in, as the interval:
  what a perfect histogram of that layout can show.
* A selector naming a recorded series (``level:metric:op``) evaluates the recording rule's
  expression with its static labels, so recording-rule mode is checked the same way.
* Two deliberate departures from PromQL, both to state what a panel *should* show:
  a division whose numerator only sums rates of raw counters keeps every group of its
  denominator, a missing numerator read as 0 (a counter that never moved is 0, even though
  the exporter has not created its series; a plain division would drop the group; a
  numerator joined with prices may lack a group for a reason, and is left alone), and with
  ``literals=False`` a number literal that scales a value is left out, so the caller can
  compare with the unscaled truth when the panel's unit or name does not explain the scale
  (``/ 1000`` on a millisecond panel is a bug the truth must not copy).
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

import attr
import promql_parser as pp

from plano_grafana.lint.syntax import op as op_name
from plano_grafana.lint.syntax import parse, selector_name, unparen
from plano_grafana.model.catalogue import Kind
from plano_grafana.simulate.truth import bucket_bounds
from tests.support.truth_index import (
    SCRAPE_LABELS,
    Labels,
    Samples,
    ScrapeClock,
    TruthIndex,
    Value,
    labels_of,
)
from tests.support.truth_reader import NAME as _NAME
from tests.support.truth_reader import Matrix, TruthError, TruthReader, Vector
from tests.support.truth_reader import drop as _drop
from tests.support.truth_reader import keep as _keep

__all__ = ["Evaluator", "TruthError", "exact_quantile", "rule_index"]


# --- the evaluator


@attr.s
class Evaluator:
    """Evaluates a PromQL syntax tree at one instant over a :class:`TruthIndex`."""

    index: TruthIndex = attr.ib()
    clock: ScrapeClock = attr.ib()
    lag: float = attr.ib(default=0.25)
    rules: Mapping[str, list[tuple[str, dict]]] = attr.ib(factory=dict)  # record -> (expr, labels)
    default_step: float = attr.ib(default=1.0)
    quantile: float | None = attr.ib(default=None)  # the quantile the panel claims to show
    literals: bool = attr.ib(default=True)  # False: number literals that scale are left out
    scales: list = attr.ib(factory=list)  # the scaling factors met
    quantile_families: list = attr.ib(factory=list)  # histograms histogram_quantile read
    ignored: frozenset = attr.ib(default=SCRAPE_LABELS)  # target labels the truth has not
    _depth: int = attr.ib(default=0)

    def eval(self, node: pp.Expr, t: float):
        """Vector (dict), float (scalar), str or Matrix, as PromQL's value types."""
        node = unparen(node)
        if isinstance(node, pp.NumberLiteral):
            return float(node.val)
        if isinstance(node, pp.StringLiteral):
            return node.val
        if isinstance(node, pp.VectorSelector):
            return self._instant(node, t - _offset(node))
        if isinstance(node, pp.MatrixSelector):
            vs = node.vector_selector
            return self._range(vs, node.range.total_seconds(), t - _offset(vs))
        if isinstance(node, pp.SubqueryExpr):
            return self._subquery(node, t)
        if isinstance(node, pp.UnaryExpr):
            value = self.eval(node.expr, t)
            return -value if isinstance(value, float) else self._arith("*", value, -1.0, None)
        if isinstance(node, pp.AggregateExpr):
            return self._aggregate(node, t)
        if isinstance(node, pp.BinaryExpr):
            return self._binary(node, t)
        if isinstance(node, pp.Call):
            return self._call(node, t)
        raise TruthError(f"cannot evaluate {type(node).__name__} against the truth")

    def vector(self, node: pp.Expr, t: float) -> Vector:
        value = self.eval(node, t)
        if isinstance(value, float):
            return {(): Value.exact(value)}
        if not isinstance(value, dict) or any(isinstance(v, Samples) for v in value.values()):
            raise TruthError("expected an instant vector")
        return value

    # selectors
    @functools.cached_property
    def reader(self) -> TruthReader:
        return TruthReader(self.index, self.clock, self.lag, self.ignored)

    def _family(self, node: pp.VectorSelector):
        """(name, family, part) of a catalogue series; (name, None, "") of a recorded one."""
        name = selector_name(node)
        if name is None:
            raise TruthError("a selector without a metric name cannot be matched to the truth")
        found = self.index.resolve(name)
        if found:
            return name, *found
        if name in self.rules:
            return name, None, ""
        raise TruthError(f"{name} is neither in the simulator nor a recorded series")

    def _instant(self, node: pp.VectorSelector, t: float) -> Vector:
        name, metric, part = self._family(node)
        if metric is None:
            return self._recorded(node, name, t)
        return self.reader.instant(node, name, metric, part, t)

    def _range(self, node: pp.VectorSelector, window: float, t: float) -> Matrix:
        name, metric, part = self._family(node)
        if metric is None:
            return self._recorded_range(node, name, window, t)
        return self.reader.range(node, name, metric, part, window, t)

    def _recorded(self, node: pp.VectorSelector, name: str, t: float) -> Vector:
        """The rule's expression at its last evaluation (when Prometheus's samples of the
        recorded series tell when that was), with the rule's static labels."""
        if self._depth > 8:
            raise TruthError(f"recording rule {name} refers to itself")
        if self.clock.has(f"rule:{name}"):
            last = self.clock.last(f"rule:{name}", t)
            if last is None:
                return {}
            t = last
        out: Vector = {}
        for expr, static in self.rules[name]:
            self._depth += 1
            try:
                result = self.vector(parse(expr), t)
            finally:
                self._depth -= 1
            for labels, value in result.items():
                merged = dict(labels) | dict(static) | {_NAME: name}
                key = labels_of(merged)
                if self.reader.matches(node, key):
                    out[key] = value
        return out

    def _recorded_range(self, node: pp.VectorSelector, name: str, window: float, t: float
                        ) -> Matrix:
        times = (self.clock.between(f"rule:{name}", t - window, t)
                 if self.clock.has(f"rule:{name}") else _steps(t - window, t, self.default_step))
        points: dict[Labels, list] = {}
        for s in times:
            for labels, value in self._recorded(node, name, s).items():
                points.setdefault(labels, []).append((s, value))
        return {k: Samples(v, counter=False) for k, v in points.items()}

    def _subquery(self, node: pp.SubqueryExpr, t: float) -> Matrix:
        step = node.step.total_seconds() if node.step else self.default_step
        points: dict[Labels, list] = {}
        t -= _offset(node)
        for s in _steps(t - node.range.total_seconds(), t, step):
            for labels, value in self.vector(node.expr, s).items():
                points.setdefault(labels, []).append((s, value))
        return {k: Samples(v, counter=False) for k, v in points.items()}

    # aggregations
    def _aggregate(self, node: pp.AggregateExpr, t: float) -> Vector:
        name = op_name(node)
        vec = self.vector(node.expr, t)
        param = self.eval(node.param, t) if node.param is not None else None
        mod = node.modifier

        def group(labels: Labels) -> Labels:
            if mod is None:
                return ()
            if mod.type == pp.AggModifierType.By:
                return _keep(labels, mod.labels)
            return _drop(labels, (*mod.labels, _NAME))

        groups: dict[Labels, list[tuple[Labels, Value]]] = {}
        for labels, value in vec.items():
            groups.setdefault(group(labels), []).append((labels, value))
        out: Vector = {}
        for key, members in sorted(groups.items()):
            values = [v for _, v in members]
            if name in ("topk", "bottomk"):
                k = int(param)  # type: ignore[arg-type]
                ranked = sorted(members, key=lambda m: m[1].val, reverse=name == "topk")
                for labels, value in ranked[:k]:
                    out[_drop(labels, (_NAME,))] = value
                continue
            if name == "sum":
                out[key] = _combine(values, sum)
            elif name == "avg":
                out[key] = _combine(values, lambda xs: sum(xs) / len(xs))
            elif name == "max":
                out[key] = _combine(values, max)
            elif name == "min":
                out[key] = _combine(values, min)
            elif name == "count":
                out[key] = Value.exact(float(len(values)), any(v.sure for v in values))
            elif name == "group":
                out[key] = Value.exact(1.0, any(v.sure for v in values))
            else:
                raise TruthError(f"aggregation {name} is not modelled")
        return out

    # binary operators
    def _binary(self, node: pp.BinaryExpr, t: float):
        opname = op_name(node)
        lhs, rhs = self.eval(node.lhs, t), self.eval(node.rhs, t)
        mod = node.modifier
        if opname in ("and", "or", "unless"):
            return _set_op(opname, self._as_vector(lhs), self._as_vector(rhs), mod)
        return_bool = bool(mod and mod.return_bool)
        if isinstance(lhs, float) and isinstance(rhs, float):
            return _apply(opname, Value.exact(lhs), Value.exact(rhs), return_bool).val
        if isinstance(rhs, float) or isinstance(lhs, float):
            vec, num = (lhs, rhs) if isinstance(rhs, float) else (rhs, lhs)
            if opname in ("*", "/") and num not in (0.0, 1.0):
                factor = num if opname == "*" else (1 / num if isinstance(rhs, float) else None)
                if factor is not None:
                    self.scales.append(factor)
                    if not (self.literals or self._depth > 0):  # rules: as written
                        return vec
            return self._arith(opname, lhs, rhs, mod)
        fill = opname == "/" and self._counts_events(node.lhs)
        return _vector_op(opname, self._as_vector(lhs), self._as_vector(rhs), mod, return_bool,
                          fill)

    def _counts_events(self, node: pp.Expr) -> bool:
        """Whether ``node`` only sums rates/increases of raw counters (or histogram parts),
        so that a group it lacks can only be a counter that never moved: 0, not unknown.
        A join (prices) or a recorded series can lack a group for a reason."""
        node = unparen(node)
        if isinstance(node, pp.AggregateExpr):
            return op_name(node) == "sum" and self._counts_events(node.expr)
        if isinstance(node, pp.Call) and node.func.name in ("rate", "increase", "irate"):
            arg = unparen(node.args[0])
            if not isinstance(arg, pp.MatrixSelector):
                return False
            found = self.index.resolve(selector_name(arg.vector_selector) or "")
            return found is not None and found[0].kind is not Kind.GAUGE
        return False

    def _as_vector(self, value) -> Vector:
        if isinstance(value, float):
            return {(): Value.exact(value)}
        return value

    def _arith(self, opname: str, lhs, rhs, mod) -> Vector:
        return_bool = bool(mod and mod.return_bool)
        out: Vector = {}
        if isinstance(lhs, dict):
            for labels, value in lhs.items():
                r = _apply(opname, value, Value.exact(rhs), return_bool)
                if r is not None:
                    out[_result_name(labels, opname, return_bool)] = r
        else:
            for labels, value in rhs.items():
                r = _apply(opname, Value.exact(lhs), value, return_bool)
                if r is not None:
                    out[_result_name(labels, opname, return_bool)] = r
        return out

    # functions
    def _call(self, node: pp.Call, t: float):
        fn = node.func.name
        if fn == "histogram_quantile":
            return self._histogram_quantile(node, t)
        if fn == "vector":
            return {(): Value.exact(float(self.eval(node.args[0], t)))}
        if fn == "scalar":
            vec = self.vector(node.args[0], t)
            return next(iter(vec.values())).val if len(vec) == 1 else math.nan
        if fn == "time":
            return float(t)
        if fn == "label_replace":
            return self._label_replace(node, t)
        if fn == "label_join":
            dst, sep, *srcs = (self.eval(a, t) for a in node.args[1:])
            return {labels_of(dict(k) | {dst: sep.join(dict(k).get(s, "") for s in srcs)}): v
                    for k, v in self.vector(node.args[0], t).items()}
        if fn in ("sort", "sort_desc"):
            return self.vector(node.args[0], t)
        if fn in _ELEMENTWISE:
            args = [self.eval(a, t) for a in node.args[1:]]
            return {_drop(k, (_NAME,)): _map(v, lambda x, f=_ELEMENTWISE[fn]: f(x, *args))
                    for k, v in self.vector(node.args[0], t).items()}
        if fn in _OVER_RANGE:
            arg = unparen(node.args[0])
            matrix = self.eval(arg, t)
            if not isinstance(matrix, dict) or not all(isinstance(s, Samples) for s in matrix.values()):
                raise TruthError(f"{fn} needs a range vector")
            window = arg.range.total_seconds()
            end = t - _offset(arg.vector_selector if isinstance(arg, pp.MatrixSelector) else arg)
            out: Vector = {}
            for labels, samples in matrix.items():
                value = _OVER_RANGE[fn](samples, end - window, end, window)
                if value is not None:
                    out[_drop(labels, (_NAME,))] = value
            return out
        raise TruthError(f"function {fn} is not modelled")

    def _histogram_quantile(self, node: pp.Call, t: float) -> Vector:
        q = self.quantile if self.quantile is not None else float(self.eval(node.args[0], t))
        buckets = self.vector(node.args[1], t)
        groups: dict[Labels, list] = {}
        family = None
        for labels, value in buckets.items():
            if value.obs is None:
                raise TruthError("histogram_quantile over something that is not a rate of "
                                 "histogram buckets")
            family = value.obs[0]
            if dict(labels).get("le") == "+Inf":
                groups.setdefault(_drop(labels, ("le", _NAME)), []).append(value)
        if family is None and buckets:
            raise TruthError("histogram_quantile without buckets")
        if family is not None:
            self.quantile_families.append(family)
        out: Vector = {}
        for key, values in groups.items():
            obs = sorted(x for v in values for x in v.obs[1])
            sure = all(v.sure for v in values)
            if not obs:
                out[key] = Value(math.nan, math.nan, math.nan, sure)
                continue
            truth = exact_quantile(obs, q)
            lower = bucket_bounds(family.buckets, exact_quantile(obs, max(q - 0.02, 0)))[0]
            upper = bucket_bounds(family.buckets, exact_quantile(obs, min(q + 0.02, 1)))[1]
            # histogram_quantile ranks q·n over cumulative counts (promql/quantile.go),
            # not q·(n−1) between order statistics: with few observations its bucket is
            # the one holding the ⌈q·n⌉-th observation, a whole rank above the exact one
            ranked = bucket_bounds(family.buckets, obs[max(math.ceil(q * len(obs) - 1e-9) - 1, 0)])
            lower, upper = min(lower, ranked[0]), max(upper, ranked[1])
            out[key] = Value(truth, lower, upper, sure, obs=(family, q))
        return out

    def _label_replace(self, node: pp.Call, t: float) -> Vector:
        dst, repl, src, regex = (self.eval(a, t) for a in node.args[1:])
        out: Vector = {}
        for labels, value in self.vector(node.args[0], t).items():
            have = dict(labels)
            m = re.fullmatch(regex, have.get(src, ""))
            if m:
                have[dst] = m.expand(re.sub(r"\$(\d+)", r"\\\1", repl))
            out[labels_of(have)] = value
        return out


def _offset(node) -> float:
    """``offset`` in seconds; an ``@`` modifier is not modelled (the proof fails on it)."""
    if getattr(node, "at", None) is not None:
        raise TruthError("the @ modifier is not modelled")
    return node.offset.total_seconds() if node.offset else 0.0


def exact_quantile(sorted_values: Sequence[float], q: float) -> float:
    """Empirical quantile with linear interpolation between ranks (what a perfect histogram shows)."""
    rank = q * (len(sorted_values) - 1)
    lo = math.floor(rank)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (rank - lo)


def _steps(start: float, end: float, step: float) -> list[float]:
    """Subquery steps: multiples of ``step`` in ``[start, end]`` as Prometheus aligns them."""
    first = math.ceil(start / step) * step
    n = math.floor((end - first) / step + 1e-9) + 1
    return [first + i * step for i in range(max(n, 0))]


def _combine(values: list[Value], fn) -> Value:
    return Value(fn([v.val for v in values]), fn([v.lo for v in values]),
                 fn([v.hi for v in values]), any(v.sure for v in values),
                 _merge_obs(values))


def _merge_obs(values: list[Value]):
    found = [v.obs for v in values if v.obs is not None and isinstance(v.obs[1], list)]
    if not found:
        return None
    return (found[0][0], [x for o in found for x in o[1]])


def _map(value: Value, fn) -> Value:
    a, b = fn(value.lo), fn(value.hi)
    return Value(fn(value.val), min(a, b), max(a, b), value.sure)


def _div(a: float, b: float) -> float:
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a)
    return a / b


_ARITH: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": _div,
    "%": lambda a, b: math.fmod(a, b) if b else math.nan, "^": lambda a, b: a ** b,
}
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, ">": lambda a, b: a > b,
    "<": lambda a, b: a < b, ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b,
}


def _apply(opname: str, a: Value, b: Value, return_bool: bool) -> Value | None:
    sure = a.sure and b.sure
    if opname in _ARITH:
        fn = _ARITH[opname]
        corners = [fn(x, y) for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
        corners = [c for c in corners if not math.isnan(c)] or [math.nan]
        return Value(fn(a.val, b.val), min(corners), max(corners), sure, _merge_obs([a]))
    if opname in _COMPARE:
        kept = _COMPARE[opname](a.val, b.val)
        if return_bool:
            return Value.exact(1.0 if kept else 0.0, sure)
        return a if kept else None
    raise TruthError(f"operator {opname} is not modelled")


def _result_name(labels: Labels, opname: str, return_bool: bool) -> Labels:
    if opname in _ARITH or return_bool:
        return _drop(labels, (_NAME,))
    return labels


def _signature(labels: Labels, mod) -> Labels:
    matching = mod.matching if mod is not None else None
    if matching is not None and matching.type == pp.LabelModifierType.Include:
        return _keep(labels, matching.labels)
    ignored = (*(matching.labels if matching is not None else ()), _NAME)
    return _drop(labels, ignored)


def _set_op(opname: str, lhs: Vector, rhs: Vector, mod) -> Vector:
    right = {_signature(k, mod) for k in rhs}
    if opname == "and":
        return {k: v for k, v in lhs.items() if _signature(k, mod) in right}
    if opname == "unless":
        return {k: v for k, v in lhs.items() if _signature(k, mod) not in right}
    left = {_signature(k, mod) for k in lhs}
    out = dict(lhs)
    out.update({k: v for k, v in rhs.items() if _signature(k, mod) not in left})
    return out


def _vector_op(opname: str, lhs: Vector, rhs: Vector, mod, return_bool: bool,
               fill: bool = False) -> Vector:
    card = mod.card if mod is not None else pp.VectorMatchCardinality.OneToOne
    include = (mod.group_labels or []) if mod is not None else []
    on = mod is not None and mod.matching is not None \
        and mod.matching.type == pp.LabelModifierType.Include
    one_to_many = card == pp.VectorMatchCardinality.OneToMany
    many, one = (rhs, lhs) if one_to_many else (lhs, rhs)
    ones: dict[Labels, tuple[Labels, Value]] = {}
    for labels, value in one.items():
        sig = _signature(labels, mod)
        if sig in ones:
            raise TruthError("many-to-many matching: a label set repeats on the 'one' side")
        ones[sig] = (labels, value)
    out: Vector = {}
    matched = set()
    for labels, value in many.items():
        sig = _signature(labels, mod)
        if sig not in ones:
            continue
        matched.add(sig)
        other_labels, other = ones[sig]
        a, b = (other, value) if one_to_many else (value, other)
        r = _apply(opname, a, b, return_bool)
        if r is None:
            continue
        result = _result_name(labels, opname, return_bool)
        if card == pp.VectorMatchCardinality.OneToOne:
            result = _keep(result, [k for k, _ in sig]) if on else _signature(result, mod)
        if include:
            have = dict(result) | {k: v for k, v in other_labels if k in include}
            result = labels_of(have)
        out[result] = r
    if fill and card == pp.VectorMatchCardinality.OneToOne:
        # the truth of a ratio of event counts is defined wherever its denominator is: a
        # numerator counter that never moved is 0, though the exporter has not created it
        for sig, (labels, value) in ones.items():
            if sig not in matched:
                result = _drop(labels, (_NAME,))
                result = _keep(result, [k for k, _ in sig]) if on else _signature(result, mod)
                zero = Value.exact(0.0, value.sure)
                out.setdefault(result, _apply("/", zero, value, False))  # type: ignore[arg-type]
    return out


# --- functions over range vectors (Prometheus's definitions)


def _extrapolated(samples: Samples, start: float, end: float, window: float, rate: bool
                  ) -> Value | None:
    """``rate``/``increase`` as promql/functions.go extrapolatedRate computes them."""
    pts = samples.points
    if len(pts) < 2:
        return None
    first, last = pts[0][1], pts[-1][1]
    t0, t1 = pts[0][0], pts[-1][0]
    sampled = t1 - t0
    if sampled <= 0:
        return None
    avg = sampled / (len(pts) - 1)
    results = []
    for delta, first_value in ((last.val - first.val, first.val), (last.lo - first.hi, first.hi),
                               (last.hi - first.lo, first.lo)):
        to_start, to_end = t0 - start, end - t1
        if samples.counter and delta > 0 and first_value >= 0:
            to_start = min(to_start, sampled * (first_value / delta))
        threshold = avg * 1.1
        interval = sampled + (to_start if to_start < threshold else avg / 2)
        interval += to_end if to_end < threshold else avg / 2
        value = delta * interval / sampled
        results.append(value / window if rate else value)
    val, a, b = results
    obs = samples.obs
    return Value(val, min(a, b, val), max(a, b, val), samples.sure, obs)


def _over_time(fn):
    def compute(samples: Samples, start, end, window) -> Value | None:
        values = [v for _, v in samples.points]
        if not values:
            return None
        return Value(fn([v.val for v in values]), fn([v.lo for v in values]),
                     fn([v.hi for v in values]), samples.sure)
    return compute


def _irate(samples: Samples, start, end, window) -> Value | None:
    if len(samples.points) < 2:
        return None
    (ta, a), (tb, b) = samples.points[-2:]
    delta = b.val - a.val if b.val >= a.val else b.val
    return Value.exact(delta / (tb - ta), samples.sure)


def _changes(samples: Samples, start, end, window) -> Value | None:
    values = [v.val for _, v in samples.points]
    if not values:
        return None
    return Value.exact(float(sum(1 for a, b in itertools.pairwise(values) if a != b)), samples.sure)


def _resets(samples: Samples, start, end, window) -> Value | None:
    values = [v.val for _, v in samples.points]
    if not values:
        return None
    return Value.exact(float(sum(1 for a, b in itertools.pairwise(values) if b < a)), samples.sure)


_OVER_RANGE = {
    "rate": lambda s, a, b, w: _extrapolated(s, a, b, w, rate=True),
    "increase": lambda s, a, b, w: _extrapolated(s, a, b, w, rate=False),
    "irate": _irate,
    "changes": _changes,
    "resets": _resets,
    "max_over_time": _over_time(max),
    "min_over_time": _over_time(min),
    "sum_over_time": _over_time(sum),
    "avg_over_time": _over_time(lambda xs: sum(xs) / len(xs)),
    "count_over_time": _over_time(len),
    "last_over_time": _over_time(lambda xs: xs[-1]),
}
_ELEMENTWISE: dict[str, Callable] = {
    "abs": lambda x: abs(x), "ceil": math.ceil, "floor": math.floor,
    "round": lambda x, to=1.0: round(x / to) * to,
    "clamp_min": lambda x, m: max(x, m), "clamp_max": lambda x, m: min(x, m),
    "clamp": lambda x, lo, hi: min(max(x, lo), hi),
}


def rule_index(groups: Iterable[dict]) -> dict[str, list[tuple[str, dict]]]:
    """``record`` name -> [(expr, static labels)] from Prometheus rule-group dicts."""
    out: dict[str, list[tuple[str, dict]]] = {}
    for group in groups:
        for rule in group.get("rules", []):
            if "record" in rule:
                out.setdefault(rule["record"], []).append((rule["expr"], rule.get("labels", {})))
    return out
