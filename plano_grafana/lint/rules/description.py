"""``description``: every panel says what it measures."""

from __future__ import annotations

from collections.abc import Iterator

from plano_grafana.lint.finding import Finding, in_dashboard
from plano_grafana.lint.registry import Context, rule
from plano_grafana.lint.walk import query_panels


@rule("description", "dashboard")
def description(d: dict, ctx: Context) -> Iterator[Finding]:
    """Each panel says what it measures and where: several panels measure the same thing
    at different hops (Envoy's upstream vs brightstaff's view of a provider)."""
    for panel in query_panels(d):
        if not (panel.get("description") or "").strip():
            yield in_dashboard(d, panel, "description", "no description")
