"""``quantile-name``: the quantile a title or legend names is the one the query computes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from plano_grafana.lint import syntax
from plano_grafana.lint.finding import Finding, in_dashboard
from plano_grafana.lint.registry import Context, rule
from plano_grafana.lint.walk import query_panels, target_trees, variables

_NAMED = re.compile(r"(?<![\w.])p(\d+(?:\.\d+)?)\b")


def named(text: str) -> set[float]:
    """The quantiles ``p95``, ``p99.9`` … that a title or legend names."""
    return {round(float(n) / 100, 6) for n in _NAMED.findall(text or "")}


@rule("quantile-name", "dashboard")
def quantile_name(d: dict, ctx: Context) -> Iterator[Finding]:
    """The quantile a title or legend names must be the one its query computes (Plano's
    shipped dashboard titles "p90" over ``histogram_quantile(0.5, …)``).

    The computed quantile is the first argument of ``histogram_quantile`` in the syntax tree.
    """
    values = variables(d)
    for panel in query_panels(d):
        computed: set[float] = set()
        for target, tree in target_trees(d, panel, values):
            in_query = {round(q, 6) for q in syntax.quantiles(tree) if q is not None}
            computed |= in_query
            legend = named(target.get("legendFormat", ""))
            if legend and legend != in_query:
                yield in_dashboard(d, panel, "quantile-name",
                                   f"legend of target {target.get('refId')} names "
                                   f"{sorted(legend)} but the query computes {sorted(in_query)}")
        titled = named(panel.get("title", ""))
        if titled and titled != computed:
            yield in_dashboard(d, panel, "quantile-name",
                               f"title names {sorted(titled)} but the queries compute "
                               f"{sorted(computed)}")
