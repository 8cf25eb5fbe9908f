"""``known-metric``: every series a query reads exists (in the catalogue, or recorded)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from plano_grafana.build.queries import recorded_from
from plano_grafana.lint import syntax
from plano_grafana.lint.finding import Finding, in_dashboard, in_rule_file
from plano_grafana.lint.registry import Context, RuleFile, rule
from plano_grafana.lint.walk import query_panels, rule_trees, variables

#: Series Prometheus makes itself; a rule may read them although no exporter does.
BUILTIN_SERIES = frozenset({"up", "ALERTS", "ALERTS_FOR_STATE"})
_LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*\w+\s*\)\s*$", re.S)


def referenced_series(expr: str, values: dict[str, str] | None = None) -> set[str]:
    """Series names the selectors of ``expr`` read (a PromQL expression or a
    ``label_values(selector, label)`` variable query); empty when it does not parse."""
    m = _LABEL_VALUES.match(expr)
    try:
        return syntax.metric_names(syntax.parse_grafana(m.group(1) if m else expr, values or {}))
    except (syntax.PromQLError, KeyError):
        return set()


@rule("known-metric", "dashboard")
def known_metric(d: dict, ctx: Context) -> Iterator[Finding]:
    """Every series must be in the catalogue (or be a recording rule's): an unknown name
    is an empty panel. Names come from every selector of the syntax tree; a recorded rate
    (``recording_rules = true``) counts as the catalogue series it records."""
    known = ctx.catalogue | ctx.recorded
    values = variables(d)
    for panel in query_panels(d):
        for target in panel.get("targets", []):
            names = {recorded_from(n) or n for n in referenced_series(target.get("expr", ""), values)}
            for name in sorted(names - known):
                yield in_dashboard(d, panel, "known-metric", f"{name} is not in the metrics catalogue")
    for var in d.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            for name in sorted(referenced_series(str(var.get("query", "")), values) - known):
                yield in_dashboard(d, None, "known-metric",
                                   f"variable ${var['name']}: {name} is not in the metrics catalogue")


@rule("known-metric", "rule file")
def known_metric_in_rules(file: RuleFile, ctx: Context) -> Iterator[Finding]:
    """Every series a rule reads is in the catalogue or recorded by a rule of the set: an
    unknown name is an alert that can never fire."""
    known = ctx.catalogue | ctx.recorded | BUILTIN_SERIES
    for group, _, label, tree in rule_trees(file.data):
        for name in sorted(syntax.metric_names(tree) - known):
            yield in_rule_file(file.name, group, label, "known-metric",
                               f"{name} is neither in the metrics catalogue nor recorded by a rule")
