"""``grid``: panels lie inside Grafana's 24 columns and do not overlap."""

from __future__ import annotations

from collections.abc import Iterator

from plano_grafana.build.panels import GRID_WIDTH
from plano_grafana.lint.finding import Finding, in_dashboard
from plano_grafana.lint.registry import Context, rule
from plano_grafana.lint.walk import panels


@rule("grid", "dashboard")
def grid(d: dict, ctx: Context) -> Iterator[Finding]:
    """Panels must lie inside the 24-column grid and must not overlap: Grafana moves an
    overlapping panel wherever it fits, so the layout on screen is not the one written."""
    boxes: list[tuple[str, tuple[int, int, int, int]]] = []
    for panel in panels(d):
        pos = panel.get("gridPos") or {}
        x, y, w, h = (pos.get(k) for k in ("x", "y", "w", "h"))
        if None in (x, y, w, h) or w < 1 or h < 1 or x < 0 or y < 0:
            yield in_dashboard(d, panel, "grid", f"invalid gridPos {pos}")
            continue
        if x + w > GRID_WIDTH:
            yield in_dashboard(d, panel, "grid", f"gridPos x={x} w={w} crosses column {GRID_WIDTH}")
        for other, (ox, oy, ow, oh) in boxes:
            if x < ox + ow and ox < x + w and y < oy + oh and oy < y + h:
                yield in_dashboard(d, panel, "grid", f"overlaps panel {other!r}")
        boxes.append((panel.get("title", ""), (x, y, w, h)))
