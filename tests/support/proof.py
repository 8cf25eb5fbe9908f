"""Prove a compiled dashboard against a real Prometheus and the simulator's truth.

Variables are resolved the way Grafana resolves them, by the resolver ``preview`` uses
too (:mod:`plano_grafana.build.variables`: ``label_values`` through the series API, the
variable's regex with Grafana's capture-group semantics, "All" as an alternation of the
values). Every target
is run on Prometheus, parsed into a PromQL syntax tree, and the same tree is evaluated
over the simulator's truth log (:mod:`tests.support.truth_eval`); each series Prometheus
returns must be one the truth has, each series the truth has must be there, and each
value must lie within the check's tolerance of the truth. The truth is matched to the
target through the metric names and labels the query builders wrote, never by panel
position or title.

What a panel *claims* overrides what its query says where the two can disagree:
``histogram_quantile`` is evaluated at the quantile the legend or title names, and a
number literal that rescales a value counts only when the panel's unit or name
explains it (``/ 1000`` into seconds on an ``s`` panel, ``* 3600`` on a per-hour one).
A target the evaluator cannot model fails; nothing is skipped.
"""

from __future__ import annotations

import collections
import importlib
import math
import re
from collections.abc import Mapping

import attr

from plano_grafana.build import variables
from plano_grafana.build.expand import expand
from plano_grafana.lint import syntax as promql
from plano_grafana.lint.walk import query_panels
from plano_grafana.model import config
from plano_grafana.model.catalogue import Kind
from tests.support.truth_eval import Evaluator, TruthError, rule_index
from tests.support.truth_index import SCRAPE_LABELS, Labels, ScrapeClock, TruthIndex, Value

_NAMED = re.compile(r"\bp(\d+(?:\.\d+)?)\b")
#: Scrape jobs of the package's Prometheus config and the simulator registry each scrapes.
JOBS = {"plano": "envoy", "brightstaff": "brightstaff"}


@attr.s(frozen=True)
class Check:
    """How a target is compared: the kind of value and its tolerance around the truth."""

    kind: str = attr.ib()
    relative: float = attr.ib(default=0.0)  # of the truth's magnitude
    absolute: float = attr.ib(default=0.0)  # in the panel's unit (ratio points)
    quantile: bool = attr.ib(default=False)

    @property
    def tolerance(self) -> str:
        if self.quantile:
            return "bucket range of ranks q±0.02 and of histogram_quantile's q·n"
        if self.absolute:
            return f"±{self.absolute:g} absolute"
        if self.relative:
            return f"±{self.relative:.0%}"
        if self.kind.endswith("gauge"):
            return "exact or the range set during the scrape"
        return "exact"

    def allows(self, got: float, want: Value) -> bool:
        if math.isnan(got) or math.isnan(want.val):
            return math.isnan(got) and (math.isnan(want.val) or math.isnan(want.lo))
        if math.isinf(got):
            return got in (want.lo, want.hi, want.val)
        slack = 1e-9 + self.absolute
        lo = want.lo - slack - self.relative * abs(want.lo) if math.isfinite(want.lo) else want.lo
        hi = want.hi + slack + self.relative * abs(want.hi) if math.isfinite(want.hi) else want.hi
        return lo <= got <= hi


#: Tolerances per kind of value. Rates and totals allow for Prometheus's extrapolation of
#: series created inside the window; token sums are heavy-tailed (a few long prompts make
#: most of a window's tokens, so one event at a scrape edge moves them); ratios are
#: absolute points.
RATE = 0.15
TOKEN_SUM = 0.25
RATIO_POINTS = 0.02


@attr.s
class Context:
    prom: object = attr.ib()
    sim: object = attr.ib()  # the Simulator (a bare TruthLog or None: variables only)
    at: float = attr.ib()
    rate_interval: str = attr.ib(default="10s")
    range_: str = attr.ib(default="20s")
    lag: float = attr.ib(default=0.25)  # scrape timestamp to registry read, when not measured
    rule_groups: list | None = attr.ib(default=None)  # None: the package's rule modules
    cfg: config.Config = attr.ib(default=config.DEFAULT)  # what the rule modules are built under
    extra_labels: frozenset = attr.ib(default=frozenset())  # target labels of the stack
    errors: list = attr.ib(factory=list)
    quantile_errors: list = attr.ib(factory=list)  # (relative error, where)
    kinds: collections.Counter = attr.ib(factory=collections.Counter)  # (kind, tolerance) -> n
    worst: dict = attr.ib(factory=dict)  # kind -> (deviation, where)
    zero: list = attr.ib(factory=list)  # targets whose truth is 0 everywhere (weak checks)
    _index: TruthIndex | None = attr.ib(default=None)
    _clock: ScrapeClock | None = attr.ib(default=None)

    @classmethod
    def from_stack(cls, stack, **kwargs) -> Context:
        """A context on the shared stack at an instant its rate window is full of scrapes
        (the stack polls Prometheus until it is)."""
        labels = frozenset(k for m in stack.members for k in m.labels)
        ctx = cls(stack.prom, stack.sim, 0.0, extra_labels=labels, **kwargs)
        ctx.at = stack.ready(ctx.window)
        return ctx

    @property
    def window(self) -> float:
        return float(self.rate_interval.rstrip("s"))

    @property
    def truth(self):
        """The simulator's truth log, for extra per-panel checks."""
        return getattr(self.sim, "truth", self.sim)

    @property
    def can_evaluate(self) -> bool:
        return all(hasattr(self.sim, a) for a in (*JOBS.values(), "truth"))

    def evaluator(self, **kwargs) -> Evaluator:
        if not self.can_evaluate:
            raise TruthError("the proof needs the Simulator itself (Context.from_stack), "
                             "not only its truth log")
        if self._index is None:
            registries = {job: getattr(self.sim, attr_) for job, attr_ in JOBS.items()}
            self._index = TruthIndex(registries,
                                     lambda family: self.truth.events(family, -math.inf, math.inf))
            span = float(self.range_.rstrip("s")) + self.window + 10
            times: dict[str, list[float]] = {}
            for series in self.prom.query(f"up[{span:.0f}s]", self.at):
                times.setdefault(series["metric"]["job"], []).extend(
                    float(t) for t, _ in series["values"])
            durations: dict[str, dict[float, float]] = {}
            for series in self.prom.query(f"scrape_duration_seconds[{span:.0f}s]", self.at):
                durations.setdefault(series["metric"]["job"], {}).update(
                    (float(t), float(v)) for t, v in series["values"])
            self._clock = ScrapeClock(times, fetch=lambda job: self._sample_times(job, span),
                                      durations=durations)
        return Evaluator(self._index, self._clock, lag=self.lag,
                         rules=rule_index(self._rule_groups()),
                         ignored=SCRAPE_LABELS | self.extra_labels, **kwargs)

    def _sample_times(self, job: str, span: float) -> list[float]:
        """When Prometheus evaluated a recording rule (``rule:<record>``): its samples' times."""
        if not job.startswith("rule:"):
            return []
        found = self.prom.query(f'{{__name__="{job[5:]}"}}[{span:.0f}s]', self.at)
        return sorted({float(t) for series in found for t, _ in series["values"]})

    def _rule_groups(self) -> list:
        if self.rule_groups is None:
            from plano_grafana.build import rules

            self.rule_groups = [g for module in rules.MODULES
                                for g in importlib.import_module(module).groups(self.cfg)]
        return self.rule_groups


def resolve_variables(ctx: Context, dashboard: dict,
                      fixed: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each variable resolved by the resolver ``preview`` uses (Grafana's regex semantics:
    a capture group replaces the value), every query variable on All; ``fixed`` selects a
    value instead (one installation of a fleet, say). A variable that offers no value, or a
    query the resolver cannot run, is an error; the values a variable offers must be the
    label's values in the truth's series."""
    def label_values(label: str, selector: str | None) -> list[str]:
        return ctx.prom.api(f"label/{label}/values", **({"match[]": selector} if selector else {}))

    resolved = variables.resolve(dashboard, label_values, fixed, saved=False)
    for var in resolved:
        where = f"{dashboard['uid']}: variable ${var.name}"
        if var.kind != "query" or var.fixed:
            continue
        if var.label is None:
            ctx.errors.append(f"{where}: unsupported query")
        elif not var.values:
            ctx.errors.append(f"{where} resolved to no values (offers {list(var.options)})")
        elif var.selector and var.label not in SCRAPE_LABELS and ctx.can_evaluate:
            _check_variable(ctx, where, var)
    return variables.values(resolved)


def _check_variable(ctx: Context, where: str, var: variables.Resolved) -> None:
    """The values a variable offers are the label's values in the truth's series, through
    the same regex."""
    try:
        truth = ctx.evaluator().vector(promql.parse(var.selector or ""), ctx.at)
    except (promql.PromQLError, TruthError) as exc:
        ctx.errors.append(f"{where}: cannot be checked against the truth: {exc}")
        return
    want: dict[str, bool] = {}
    for labels, value in truth.items():
        raw = dict(labels).get(var.label or "", "")
        for v in variables.apply_regex(var.regex, [raw]) if raw else []:
            want[v] = want.get(v, False) or value.sure
    found = list(var.options)
    missing = sorted(v for v, sure in want.items() if sure and v not in found)
    extra = sorted(set(found) - set(want))
    if missing or extra:
        ctx.errors.append(f"{where}: offers {sorted(found)}; the truth has {sorted(want)}")
    ctx.kinds[("variable values", "exact set")] += 1


def claimed_quantile(target: dict, panel: dict) -> float | None:
    """The quantile the legend (else the title) names; None unless exactly one."""
    named = _NAMED.findall(target.get("legendFormat", "")) or _NAMED.findall(panel["title"])
    return float(named[0]) / 100 if len(named) == 1 else None


def _heavy(ev: Evaluator, name: str) -> bool:
    """Token sums: a ``_sum`` of a token-count histogram, or a token counter."""
    found = ev.index.resolve(name)
    if found is None:
        return False  # a recorded series: its rule's raw series decide
    metric, part = found
    return (part == "_sum" and metric.unit == "short") or (
        metric.kind is Kind.COUNTER and "tokens" in metric.name)


def classify(tree, target: dict, panel: dict, ev: Evaluator) -> Check:
    """The check of a target, from the shape of its syntax tree (and of the recording rules
    of the recorded series it reads) and the panel's unit."""
    if "histogram_quantile" in _functions(tree, ev):
        return Check("quantile", quantile=True)
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
    kind, check = _base(promql.unparen(tree), unit, ev)
    if target.get("format") == "heatmap":  # counts of observations, not token sums
        kind, check = "heatmap buckets", Check("heatmap buckets", relative=RATE)
    elif target.get("format") == "table":
        kind = f"table of {kind}"
    return attr.evolve(check, kind=kind)


def _functions(node, ev: Evaluator) -> set[str]:
    return {promql.function_name(n) for t in _trees(node, ev) for n in promql.nodes(t)} - {None}


def _base(node, unit: str, ev: Evaluator) -> tuple[str, Check]:
    """Kind and tolerance of an expression, from its outermost operation inwards."""
    import promql_parser as pp

    heavy = any(_heavy(ev, n) for t in _trees(node, ev) for n in promql.metric_names(t))
    sums = TOKEN_SUM if heavy else RATE
    fns = _functions(node, ev)
    if isinstance(node, pp.AggregateExpr) and promql.op(node) in ("topk", "bottomk"):
        kind, check = _base(promql.unparen(node.expr), unit, ev)
        return f"{promql.op(node)} of {kind}", check
    if isinstance(node, pp.Call) and isinstance(promql.unparen(node.args[0]), pp.SubqueryExpr):
        kind, check = _base(promql.unparen(promql.unparen(node.args[0]).expr), unit, ev)
        return f"{node.func.name} of {kind}", check
    if isinstance(node, pp.BinaryExpr) and promql.op(node) in ("and", "unless"):
        return _base(promql.unparen(node.lhs), unit, ev)  # the left side is what is shown
    if isinstance(node, pp.BinaryExpr) and promql.op(node) == "/" \
            and not isinstance(promql.unparen(node.rhs), pp.NumberLiteral):
        if unit in ("percentunit", "percent"):
            return "ratio", Check("ratio", absolute=RATIO_POINTS)
        if _is_mean(node, ev):
            return "mean", Check("mean", relative=sums)
        return "ratio of rates", Check("ratio of rates", relative=sums)
    if fns & {"resets", "changes"}:
        return "count of resets", Check("count of resets")
    if "increase" in fns:
        return "count over range", Check("count over range", relative=sums)
    if fns & {"rate", "irate"}:
        return "rate", Check("rate", relative=sums)
    return "gauge", Check("gauge")


def _is_mean(node, ev: Evaluator) -> bool:
    """``…x_sum… / …x_count…`` of one histogram (raw or recorded)."""
    lhs = {n for t in _trees(node.lhs, ev) for n in promql.metric_names(t)}
    rhs = {n for t in _trees(node.rhs, ev) for n in promql.metric_names(t)}
    return any(n.endswith("_sum") and n[:-4] + "_count" in rhs for n in lhs)


_CONVERSIONS = {  # a scale -> what about the panel explains it
    0.001: lambda units, text, unit: "ms" in units and unit == "s",
    1000.0: lambda units, text, unit: "s" in units and unit == "ms",
    100.0: lambda units, text, unit: unit == "percent",
    3600.0: lambda units, text, unit: bool(re.search(r"per hour|/ ?h(ou)?r?\b|hourly", text)),
    60.0: lambda units, text, unit: bool(re.search(r"per minute|/ ?min\b", text)),
    1e6: lambda units, text, unit: bool(re.search(r"per million|/ ?1M\b|Mtok", text)),
}


def _explains(ctx: Context, panel: dict, target: dict, trees: list, ev: Evaluator, net: float
              ) -> bool:
    """Whether the net scale of a query's number literals is one the panel explains: a unit
    conversion its unit or name asks for, times a window Grafana put in (a recorded rate
    × ``$__rate_interval_ms`` / 1000 is the increase over the window)."""
    if math.isclose(net, 1.0):
        return True
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
    text = " ".join((panel.get("title", ""), target.get("legendFormat", ""), unit)).lower()
    units = {found[0].unit for tree in trees for name in promql.metric_names(tree)
             for found in [ev.index.resolve(name)] if found}
    conversions = [1.0] + [k for k, test in _CONVERSIONS.items() if test(units, text, unit)]
    raw = target.get("expr", "")
    windows = [1.0]
    range_s = float(ctx.range_.rstrip("s"))
    if "$__rate_interval_ms" in raw:
        windows += [ctx.window, ctx.window * 1000]
    if "$__range_s" in raw:
        windows.append(range_s)
    if "$__range_ms" in raw:
        windows += [range_s, range_s * 1000]
    return any(math.isclose(net, c * w, rel_tol=1e-9) for c in conversions for w in windows)


def _net_scale(scaled: dict, plain: dict) -> float:
    """How much the query's number literals scale its values (1 when they cannot tell)."""
    for labels, value in scaled.items():
        base = plain.get(labels)
        if base is not None and base.val and math.isfinite(base.val) and math.isfinite(value.val):
            return value.val / base.val
    return 1.0


def _trees(tree, ev: Evaluator, depth: int = 0) -> list:
    """The target's tree and the trees of the recording rules its recorded series come from."""
    out = [tree]
    if depth < 4:
        for name in promql.metric_names(tree):
            for expr, _ in ev.rules.get(name, ()):
                out += _trees(promql.parse(expr), ev, depth + 1)
    return out


def _drop_scrape(labels, extra: frozenset) -> Labels:
    skip = SCRAPE_LABELS | {"__name__"} | extra
    items = labels.items() if isinstance(labels, dict) else labels
    return tuple(sorted((k, v) for k, v in items if k not in skip))


def _fmt(labels: Labels) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels) + "}"


def check_target(ctx: Context, where: str, target: dict, panel: dict, expr: str,
                 result: list) -> None:
    """Compare Prometheus's answer for one target with the truth evaluation of its tree."""
    try:
        tree = promql.parse(expr)
    except promql.PromQLError as exc:
        ctx.errors.append(f"{where}: does not parse: {exc}")
        return
    try:
        probe = ctx.evaluator()
    except TruthError as exc:
        ctx.errors.append(f"{where}: cannot be checked against the truth: {exc}")
        return
    check = classify(tree, target, panel, probe)
    claimed = None
    if check.quantile:
        claimed = claimed_quantile(target, panel)
        if claimed is None:
            ctx.errors.append(f"{where}: cannot tell which quantile the panel claims")
            return
    ev = ctx.evaluator(quantile=claimed)
    try:
        truth = ev.vector(tree, ctx.at)
        plain = ctx.evaluator(quantile=claimed, literals=False).vector(tree, ctx.at)
    except TruthError as exc:
        ctx.errors.append(f"{where}: cannot be checked against the truth: {exc}")
        return
    ctx.kinds[(check.kind, check.tolerance)] += 1
    net = _net_scale(truth, plain)
    note = ""
    if not _explains(ctx, panel, target, _trees(tree, probe), probe, net):
        truth = plain  # the value the panel should show, without the unexplained scale
        note = f"; the query scales by {net:g}, which neither its unit nor its name explains"
        net = 1.0
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
    _check_unit(ctx, where, tree, check, ev, unit, net)
    got = {_drop_scrape(s["metric"], ctx.extra_labels): float(s["value"][1]) for s in result}
    want = {_drop_scrape(k, ctx.extra_labels): v for k, v in truth.items()}
    if want and all(v.lo == v.hi == 0 for v in want.values()):
        ctx.zero.append(f"{panel['title']!r} {target['refId']}")
    for labels, value in sorted(want.items()):
        if labels not in got and value.sure:
            ctx.errors.append(f"{where}: no series {_fmt(labels)}; the truth has {value.val:.4g}")
    for labels, value in sorted(got.items()):
        if labels not in want:
            ctx.errors.append(f"{where}: series {_fmt(labels)} = {value:.4g} is not in the truth")
            continue
        truth_value = want[labels]
        _record(ctx, check, where, labels, value, truth_value)
        if check.allows(value, truth_value):
            continue
        if check.quantile:
            family = ev.quantile_families[0]
            ctx.errors.append(
                f"{where}: {_fmt(labels) if labels else ''} shows {value:g} but the true "
                f"p{claimed * 100:g} is {truth_value.val:g} {family.unit} "
                f"(bucket range {truth_value.lo:g}–{truth_value.hi:g}){note}")
        else:
            ctx.errors.append(
                f"{where}: {check.kind}{' ' + _fmt(labels) if labels else ''} is {value:.4g}, "
                f"truth {truth_value.val:.4g} (range {truth_value.lo:.4g}–{truth_value.hi:.4g}, "
                f"tolerance {check.tolerance}){note}")


def _check_unit(ctx: Context, where: str, tree, check: Check, ev: Evaluator, unit,
                net: float) -> None:
    """A quantile or a mean is in its histogram's unit, or converted by a literal the
    panel's unit explains (ms ÷ 1000 on an ``s`` panel)."""
    family = None
    if check.quantile and ev.quantile_families:
        family = ev.quantile_families[0]
    elif check.kind.endswith("mean"):
        names = [n for t in _trees(tree, ev) for n in promql.metric_names(t) if n.endswith("_sum")]
        found = ev.index.resolve(names[0]) if names else None
        family = found[0] if found else None
    if family is None:
        return
    expected = family.unit
    if math.isclose(net, 0.001) and expected == "ms":
        expected = "s"
    elif math.isclose(net, 1000) and expected == "s":
        expected = "ms"
    if unit != expected:
        ctx.errors.append(f"{where}: unit {unit!r} but {family.name} is recorded in "
                          f"{family.unit!r}")


def _record(ctx: Context, check: Check, where: str, labels: Labels, got: float,
            want: Value) -> None:
    """Keep the largest deviation from the truth's value per kind (the test prints them)."""
    if math.isnan(got) or math.isnan(want.val) or math.isinf(got):
        return
    deviation = abs(got - want.val) / abs(want.val) if want.val else abs(got)
    if check.quantile:
        ctx.quantile_errors.append((deviation, f"{where} {_fmt(labels)}"))
        return
    if check.absolute:
        deviation = abs(got - want.val)  # points, as the tolerance
    if deviation >= ctx.worst.get(check.kind, (-1.0, ""))[0]:
        ctx.worst[check.kind] = (deviation, f"{where} {_fmt(labels)}")


def near(ctx: Context, where: str, got: float, want: float, tolerance: float, what: str) -> None:
    """For extra per-panel checks: ``got`` within ``tolerance`` (relative) of ``want``."""
    if want == 0 and abs(got) < 1e-9:
        return
    if math.isnan(got) or abs(got - want) > tolerance * max(abs(want), 1e-9):
        ctx.errors.append(f"{where}: {what} is {got:.4g}, truth {want:.4g} "
                          f"(tolerance {tolerance:.0%})")


def prove(ctx: Context, dashboard: dict, checks: dict | None = None) -> list[str]:
    """Run every variable and target; returns the failures, each naming dashboard and panel.

    ``checks`` maps (uid, title, refId) to an extra ``check(ctx, where, result)``.
    """
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
            check_target(ctx, where, target, panel, expr, result)
            check = (checks or {}).get((dashboard["uid"], panel["title"], target["refId"]))
            if check:
                check(ctx, where, result)
    return ctx.errors[start:]


def targets_compared(ctx: Context) -> int:
    return sum(n for (kind, _), n in ctx.kinds.items() if kind != "variable values")


def summary(ctx: Context) -> str:
    """Targets by check kind and tolerance, and the worst deviation of each kind."""
    lines = [f"  {n:3d}  {kind} ({tolerance})" for (kind, tolerance), n in sorted(ctx.kinds.items())]
    lines.append(f"  {targets_compared(ctx):3d}  targets compared with the truth")
    for kind, (deviation, where) in sorted(ctx.worst.items()):
        shown = f"{deviation:.3g} points" if kind == "ratio" else f"{deviation:.1%}"
        lines.append(f"  worst {kind}: {shown} from the truth's value at {where}")
    if ctx.quantile_errors:
        worst = max(ctx.quantile_errors)
        lines.append(f"  worst quantile: {worst[0]:.1%} from the exact quantile at {worst[1]}")
    if ctx.zero:
        lines.append(f"  compared only with 0 (the simulator never moves them): {', '.join(ctx.zero)}")
    return "\n".join(lines)
