"""Dashboard linter: one rule, one function, one explanation (after dashboard-linter).

Every rule takes a compiled dashboard (a dict, as it is written to ``dashboards/``) and
yields :class:`Finding` s that name the dashboard, the panel and the rule. The PromQL
rule hands every expression, with Grafana's variables expanded, to the real Prometheus
parser in ``promtool check rules``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import attr
import yaml

from plano_grafana.build.expand import expand
from plano_grafana.build.panels import GRID_WIDTH
from plano_grafana.build.queries import recorded_from
from plano_grafana.errors import PlanoGrafanaError
from plano_grafana.lint import syntax as promql
from plano_grafana.model.catalogue import series_index
from plano_grafana.model.config import DEFAULT, Config


@attr.s(frozen=True, order=True)
class Finding:
    dashboard: str = attr.ib()
    panel: str = attr.ib()
    rule: str = attr.ib()
    message: str = attr.ib()

    def __str__(self) -> str:
        where = f"panel {self.panel!r}" if self.panel else "dashboard"
        return f"{self.dashboard}: {where}: {self.rule}: {self.message}"


@attr.s(frozen=True, slots=True)
class Context:
    """What the rules need beyond the dashboard, from the config the build ran under: the
    series that exist (the catalogue's, and those the config's recording rules write)."""

    known: frozenset[str] = attr.ib()

    @classmethod
    def of(cls, cfg: Config) -> Context:
        return cls(frozenset(series_index(cfg.metrics.brightstaff_prefix)) | recorded_series(cfg))


Rule = Callable[[dict, Context], Iterable[Finding]]
#: Per-dashboard rules; :func:`lint` adds the cross-dashboard ones in ``EXTRA_RULES``.
RULES: dict[str, Rule] = {}
EXTRA_RULES = ("unique-uid", "promql")


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(func: Rule) -> Rule:
        RULES[name] = func
        func.rule_name = name  # type: ignore[attr-defined]
        return func
    return register


def panels(dashboard: dict) -> Iterator[dict]:
    """Every panel, rows included, nested row panels too."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def query_panels(dashboard: dict) -> Iterator[dict]:
    return (p for p in panels(dashboard) if p.get("type") != "row")


def _f(dashboard: dict, panel: dict | None, name: str, message: str) -> Finding:
    title = panel.get("title", f"id {panel.get('id')}") if panel else ""
    return Finding(dashboard.get("uid", "?"), title, name, message)


@rule("unique-panel-ids")
def unique_panel_ids(d: dict, ctx: Context) -> Iterator[Finding]:
    """Grafana addresses panels by id (links, view mode); duplicates open the wrong one."""
    seen: dict[int, str] = {}
    for panel in panels(d):
        pid = panel.get("id")
        if pid is None:
            yield _f(d, panel, "unique-panel-ids", "panel has no id")
        elif pid in seen:
            yield _f(d, panel, "unique-panel-ids", f"id {pid} is also used by {seen[pid]!r}")
        else:
            seen[pid] = panel.get("title", "")


@rule("grid")
def grid(d: dict, ctx: Context) -> Iterator[Finding]:
    """Panels must lie inside the 24-column grid and must not overlap."""
    boxes = []
    for panel in panels(d):
        pos = panel.get("gridPos") or {}
        x, y, w, h = (pos.get(k) for k in ("x", "y", "w", "h"))
        if None in (x, y, w, h) or w < 1 or h < 1 or x < 0 or y < 0:
            yield _f(d, panel, "grid", f"invalid gridPos {pos}")
            continue
        if x + w > GRID_WIDTH:
            yield _f(d, panel, "grid", f"gridPos x={x} w={w} crosses column {GRID_WIDTH}")
        for other, (ox, oy, ow, oh) in boxes:
            if x < ox + ow and ox < x + w and y < oy + oh and oy < y + h:
                yield _f(d, panel, "grid", f"overlaps panel {other!r}")
        boxes.append((panel.get("title", ""), (x, y, w, h)))


@rule("datasource")
def datasource(d: dict, ctx: Context) -> Iterator[Finding]:
    """Panels and targets must name the ``${datasource}`` variable, not a fixed source."""
    for panel in query_panels(d):
        refs = [panel.get("datasource")] + [t.get("datasource") for t in panel.get("targets", [])]
        for ref in refs:
            if not isinstance(ref, dict) or ref.get("uid") != "${datasource}":
                yield _f(d, panel, "datasource", f"datasource is {ref!r}, not ${{datasource}}")
                break
        if not panel.get("targets"):
            yield _f(d, panel, "datasource", "panel has no query")


@rule("unit")
def unit(d: dict, ctx: Context) -> Iterator[Finding]:
    """A number without a unit is how milliseconds get read as seconds."""
    for panel in query_panels(d):
        if not panel.get("fieldConfig", {}).get("defaults", {}).get("unit"):
            yield _f(d, panel, "unit", "no unit in fieldConfig.defaults.unit")


@rule("description")
def description(d: dict, ctx: Context) -> Iterator[Finding]:
    """Each panel says what it measures and where; several measure different hops."""
    for panel in query_panels(d):
        if not (panel.get("description") or "").strip():
            yield _f(d, panel, "description", "no description")


_ALLOWED_WINDOWS = {"$__rate_interval", "$__range", "$__range:"}


def _trees(d: dict, panel: dict) -> Iterator[tuple[dict, object]]:
    """(target, syntax tree) of each target that parses; the ``promql`` rule (promtool)
    reports the ones that do not, so these meaning rules stay silent about them."""
    variables = lint_variables(d)
    for target in panel.get("targets", []):
        try:
            yield target, promql.parse_grafana(target.get("expr", ""), variables)
        except (promql.PromQLError, KeyError):
            continue


@rule("rate-interval")
def rate_interval(d: dict, ctx: Context) -> Iterator[Finding]:
    """Fixed windows ([5m], [1h]) break at other scrape intervals and zoom levels.

    Reads the range of every range selector and subquery in the syntax tree.
    """
    for panel in query_panels(d):
        for target, tree in _trees(d, panel):
            for window in promql.windows(tree):
                if window not in _ALLOWED_WINDOWS:
                    yield _f(d, panel, "rate-interval",
                             f"window [{window}] in target {target.get('refId')}: use "
                             "[$__rate_interval] (or [$__range] for totals)")


_NAMED_Q = re.compile(r"(?<![\w.])p(\d+(?:\.\d+)?)\b")


def _named(text: str) -> set[float]:
    return {round(float(n) / 100, 6) for n in _NAMED_Q.findall(text or "")}


@rule("quantile-name")
def quantile_name(d: dict, ctx: Context) -> Iterator[Finding]:
    """The quantile a title or legend names must be the one its query computes.

    (Plano's shipped dashboard titles "p90" over ``histogram_quantile(0.5, …)``.) The
    computed quantile is the first argument of ``histogram_quantile`` in the syntax tree.
    """
    for panel in query_panels(d):
        computed: set[float] = set()
        for target, tree in _trees(d, panel):
            in_query = {round(q, 6) for q in promql.quantiles(tree) if q is not None}
            computed |= in_query
            legend = _named(target.get("legendFormat", ""))
            if legend and legend != in_query:
                yield _f(d, panel, "quantile-name",
                         f"legend of target {target.get('refId')} names "
                         f"{sorted(legend)} but the query computes {sorted(in_query)}")
        titled = _named(panel.get("title", ""))
        if titled and titled != computed:
            yield _f(d, panel, "quantile-name",
                     f"title names {sorted(titled)} but the queries compute {sorted(computed)}")


_LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*\w+\s*\)\s*$", re.S)


def referenced_series(expr: str, variables: dict[str, str] | None = None) -> set[str]:
    """Series names the selectors of ``expr`` read (a PromQL expression or a
    ``label_values(selector, label)`` variable query); empty when it does not parse."""
    m = _LABEL_VALUES.match(expr)
    try:
        return promql.metric_names(promql.parse_grafana(m.group(1) if m else expr, variables or {}))
    except (promql.PromQLError, KeyError):
        return set()


def recorded_series(cfg: Config) -> set[str]:
    """Series that the package's recording rules write (``level:metric:op``) under ``cfg``
    (whose scrape interval names their windows)."""
    import importlib

    from plano_grafana.build import rules

    names: set[str] = set()
    for module in rules.MODULES:
        for group in importlib.import_module(module).groups(cfg):
            names |= {r["record"] for r in group.get("rules", []) if "record" in r}
    return names


@rule("known-metric")
def known_metric(d: dict, ctx: Context) -> Iterator[Finding]:
    """Every series must be in the catalogue (or be a recording rule's): an unknown name
    is an empty panel. Names come from every selector of the syntax tree; a recorded rate
    (``recording_rules = true``) counts as the catalogue series it records."""
    known = ctx.known
    variables = lint_variables(d)
    for panel in query_panels(d):
        for target in panel.get("targets", []):
            names = {recorded_from(n) or n
                     for n in referenced_series(target.get("expr", ""), variables)}
            for name in sorted(names - known):
                yield _f(d, panel, "known-metric", f"{name} is not in the metrics catalogue")
    for var in d.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            query = str(var.get("query", ""))
            for name in sorted(referenced_series(query, variables) - known):
                yield Finding(d.get("uid", "?"), "", "known-metric",
                              f"variable ${var['name']}: {name} is not in the metrics catalogue")


def lint_variables(dashboard: dict) -> dict[str, str]:
    """Values that make every template variable expand to valid PromQL."""
    return {v["name"]: ".*" for v in dashboard.get("templating", {}).get("list", [])}


def promtool_path() -> str | None:
    """promtool from ``PROMTOOL_BIN`` or PATH; None when neither has one."""
    configured = os.environ.get("PROMTOOL_BIN")
    return shutil.which(configured) if configured else shutil.which("promtool")


def promql_findings(dashboards: Iterable[dict], promtool: str) -> list[Finding]:
    """Parse every expression with ``promtool check rules``; one rule group per target."""
    where: list[tuple[dict, dict, str]] = []
    groups = []
    for d in dashboards:
        variables = lint_variables(d)
        for panel in query_panels(d):
            for target in panel.get("targets", []):
                try:
                    expr = expand(target.get("expr", ""), variables)
                except KeyError as exc:
                    where.append((d, panel, str(exc)))
                    continue
                name = f"g{len(groups)}"
                groups.append({"name": name, "rules": [{"record": "plano_lint:expr", "expr": expr}]})
                where.append((d, panel, name))
    findings = [_f(d, p, "promql", msg) for d, p, msg in where if not msg.startswith("g")]
    by_group = {name: (d, p) for d, p, name in where if name.startswith("g")}
    if not groups:
        return findings
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rules.yml"
        path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
        proc = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True,
                              text=True, timeout=120)
    if proc.returncode == 0:
        return findings
    output = proc.stdout + proc.stderr
    matched = False
    for line in output.splitlines():
        m = re.search(r'group "(g\d+)", rule \d+, "[^"]*": (.*)', line)
        if m and m.group(1) in by_group:
            d, p = by_group[m.group(1)]
            findings.append(_f(d, p, "promql", m.group(2).strip()))
            matched = True
    if not matched:
        raise PlanoGrafanaError(f"promtool check rules failed: {output.strip().splitlines()[-1:]}")
    return findings


def lint(dashboards: Iterable[dict], cfg: Config = DEFAULT, *,
         promql: bool = True) -> list[Finding]:
    """All findings for the dashboards built under ``cfg``; ``promql`` needs promtool on
    PATH or PROMTOOL_BIN."""
    dashboards = list(dashboards)
    ctx = Context.of(cfg)
    findings: list[Finding] = []
    uids: dict[str, str] = {}
    for d in dashboards:
        uid = d.get("uid") or ""
        if not uid:
            findings.append(Finding(d.get("title", "?"), "", "unique-uid", "dashboard has no uid"))
        elif uid in uids:
            findings.append(Finding(uid, "", "unique-uid", f"uid also used by {uids[uid]!r}"))
        uids[uid] = d.get("title", "")
        for check in RULES.values():
            findings.extend(check(d, ctx))
    if promql:
        promtool = promtool_path()
        if not promtool:
            raise PlanoGrafanaError("promtool not found (install Debian's 'prometheus' package "
                                    "or set PROMTOOL_BIN); it is the PromQL parser of the lint")
        findings.extend(promql_findings(dashboards, promtool))
    return sorted(findings)
