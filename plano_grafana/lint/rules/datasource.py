"""``datasource``: every panel and target queries the ``${datasource}`` variable."""

from __future__ import annotations

from collections.abc import Iterator

from plano_grafana.lint.finding import Finding, in_dashboard
from plano_grafana.lint.registry import Context, rule
from plano_grafana.lint.walk import query_panels


@rule("datasource", "dashboard")
def datasource(d: dict, ctx: Context) -> Iterator[Finding]:
    """Panels and targets must name the ``${datasource}`` variable, not a fixed source: a
    fixed uid is a Prometheus of the author's Grafana, missing from everyone else's."""
    for panel in query_panels(d):
        refs = [panel.get("datasource")] + [t.get("datasource") for t in panel.get("targets", [])]
        for ref in refs:
            if not isinstance(ref, dict) or ref.get("uid") != "${datasource}":
                yield in_dashboard(d, panel, "datasource",
                                   f"datasource is {ref!r}, not ${{datasource}}")
                break
        if not panel.get("targets"):
            yield in_dashboard(d, panel, "datasource", "panel has no query")
