"""``unique-panel-ids``: every panel has an id no other panel of the dashboard has."""

from __future__ import annotations

from collections.abc import Iterator

from plano_grafana.lint.finding import Finding, in_dashboard
from plano_grafana.lint.registry import Context, rule
from plano_grafana.lint.walk import panels


@rule("unique-panel-ids", "dashboard")
def unique_panel_ids(d: dict, ctx: Context) -> Iterator[Finding]:
    """Grafana addresses panels by id (links, view mode); duplicates open the wrong one."""
    seen: dict[int, str] = {}
    for panel in panels(d):
        pid = panel.get("id")
        if pid is None:
            yield in_dashboard(d, panel, "unique-panel-ids", "panel has no id")
        elif pid in seen:
            yield in_dashboard(d, panel, "unique-panel-ids",
                               f"id {pid} is also used by {seen[pid]!r}")
        else:
            seen[pid] = panel.get("title", "")
