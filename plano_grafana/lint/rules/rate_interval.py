"""``rate-interval``: a dashboard's windows follow Grafana's zoom and scrape interval."""

from __future__ import annotations

from collections.abc import Iterator

from plano_grafana.lint import syntax
from plano_grafana.lint.finding import Finding, in_dashboard
from plano_grafana.lint.registry import Context, rule
from plano_grafana.lint.walk import query_panels, target_trees, variables

ALLOWED = frozenset({"$__rate_interval", "$__range", "$__range:"})


@rule("rate-interval", "dashboard")
def rate_interval(d: dict, ctx: Context) -> Iterator[Finding]:
    """Fixed windows ([5m], [1h]) break at other scrape intervals and zoom levels.

    Reads the range of every range selector and subquery in the syntax tree.
    """
    values = variables(d)
    for panel in query_panels(d):
        for target, tree in target_trees(d, panel, values):
            for window in syntax.windows(tree):
                if window not in ALLOWED:
                    yield in_dashboard(d, panel, "rate-interval",
                                       f"window [{window}] in target {target.get('refId')}: use "
                                       "[$__rate_interval] (or [$__range] for totals)")
