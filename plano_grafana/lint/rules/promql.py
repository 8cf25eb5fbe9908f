"""``promql``: every dashboard expression parses as Prometheus parses it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from plano_grafana.build import yamltext
from plano_grafana.build.expand import expand
from plano_grafana.errors import PlanoGrafanaError
from plano_grafana.lint import promtool
from plano_grafana.lint.finding import Finding, in_dashboard
from plano_grafana.lint.registry import Context, rule
from plano_grafana.lint.walk import query_panels, variables

_GROUP = re.compile(r'group "(g\d+)", rule \d+, "[^"]*": (.*)')


@rule("promql", "dashboards")
def promql(dashboards: Sequence[dict], ctx: Context) -> Iterator[Finding]:
    """Every expression, Grafana's variables expanded, must parse with ``promtool check
    rules`` (Prometheus's own parser): a query Prometheus refuses is a panel that only
    shows an error. One rule group per target names the panel back; an unknown
    ``$variable`` is a finding here too."""
    if ctx.promtool is None:
        return
    groups, where = [], {}
    for d in dashboards:
        values = variables(d)
        for panel in query_panels(d):
            for target in panel.get("targets", []):
                try:
                    expr = expand(target.get("expr", ""), values)
                except KeyError as exc:
                    yield in_dashboard(d, panel, "promql", str(exc))
                    continue
                name = f"g{len(groups)}"
                groups.append({"name": name, "rules": [{"record": "plano_lint:expr", "expr": expr}]})
                where[name] = (d, panel)
    text = yamltext.render({"groups": groups})  # libyaml: a deploy lints every target
    lines = promtool.check_rules(ctx.promtool, {"dashboards.yml": text}).get("dashboards.yml", [])
    found = [(m.group(1), m.group(2).strip()) for m in map(_GROUP.search, lines)
             if m and m.group(1) in where]
    if lines and not found:  # promtool refused the file itself: our bug, not the panel's
        raise PlanoGrafanaError(f"promtool check rules failed: {lines[-1]}")
    for name, message in found:
        yield in_dashboard(*where[name], "promql", message)
