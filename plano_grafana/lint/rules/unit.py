"""``unit``: every panel that shows a number says its unit."""

from __future__ import annotations

from collections.abc import Iterator

from plano_grafana.lint.finding import Finding, in_dashboard
from plano_grafana.lint.registry import Context, rule
from plano_grafana.lint.walk import query_panels


@rule("unit", "dashboard")
def unit(d: dict, ctx: Context) -> Iterator[Finding]:
    """A number without a unit is how milliseconds get read as seconds."""
    for panel in query_panels(d):
        if not panel.get("fieldConfig", {}).get("defaults", {}).get("unit"):
            yield in_dashboard(d, panel, "unit", "no unit in fieldConfig.defaults.unit")
