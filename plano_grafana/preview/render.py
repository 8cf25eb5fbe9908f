"""Draw a compiled dashboard and its query results as one PNG (matplotlib, Agg only).

The picture is laid out like Grafana lays out the dashboard (:mod:`.canvas`): each panel
at its ``gridPos`` with a frame and its title, rows as headers (collapsed rows show their
panel count). Each panel kind has its drawer: time series with their field overrides,
axes and legend (:mod:`.timeseries`), the others in :mod:`.panels`. A panel whose targets
returned nothing says "No data"; one whose query failed shows Prometheus's error text in
red; one the preview cannot draw is drawn as failed, and the rest of the picture still is.
"""

from __future__ import annotations

from collections.abc import Sequence

from plano_grafana.preview.canvas import (
    AXIS_TEXT,
    BORDER,
    HEADER,
    MARGIN,
    NO_DATA,
    PANEL,
    Box,
    Canvas,
    content_box,
    draw_errors,
    draw_frame,
    draw_message,
    image_size,
    panel_box,
    visible_panels,
)
from plano_grafana.preview.fields import PanelData, threshold_colour
from plano_grafana.preview.panels import (
    draw_bargauge,
    draw_heatmap,
    draw_piechart,
    draw_stat,
    draw_table,
    draw_text,
    stat_fill,
)
from plano_grafana.preview.query import TargetResult
from plano_grafana.preview.timeseries import draw_timeseries

DRAW = {"timeseries": draw_timeseries, "graph": draw_timeseries, "stat": draw_stat,
        "heatmap": draw_heatmap, "bargauge": draw_bargauge, "piechart": draw_piechart,
        "table": draw_table, "text": draw_text}


def row_label(panel: dict) -> str:
    """``▾ Title`` for an expanded row; ``▸ Title  (3 panels)`` when collapsed, as its
    panels are hidden until opened (Grafana keeps them inside the row)."""
    if panel.get("collapsed"):
        return f"▸ {panel.get('title', '')}  ({len(panel.get('panels', []))} panels)"
    return f"▾ {panel.get('title', '')}"


def draw_row(canvas: Canvas, panel: dict) -> None:
    box = panel_box(panel.get("gridPos", {}))
    canvas.text(box.left, box.top + box.height / 2, row_label(panel), fontsize=10, fontweight="bold",
                zorder=2)
    canvas.overlay.plot([box.left, box.right], [box.bottom, box.bottom], color=BORDER, linewidth=0.8)


def render(dashboard: dict, panels: Sequence[PanelData], *, subtitle: str = "") -> bytes:
    """The dashboard as PNG bytes. ``panels`` holds the data of every non-row panel."""
    return draw(dashboard, panels, subtitle=subtitle).png()


def draw(dashboard: dict, panels: Sequence[PanelData], *, subtitle: str = "") -> Canvas:
    """The dashboard drawn on a :class:`Canvas` (its matplotlib figure is what tests inspect)."""
    width, height = image_size(dashboard)
    canvas = Canvas(width, height)
    canvas.text(MARGIN, HEADER / 2 + 4, dashboard.get("title", dashboard.get("uid", "")), fontsize=13,
                fontweight="bold")
    if subtitle:
        canvas.text(width - MARGIN, HEADER / 2 + 4, subtitle, fontsize=8, ha="right", color=AXIS_TEXT)
    for panel in visible_panels(dashboard):
        if panel.get("type") == "row":
            draw_row(canvas, panel)
    for data in panels:
        try:
            draw_panel(canvas, data)
        except Exception as exc:  # one odd panel must not cost the whole picture
            data.draw_error = f"preview could not draw this panel: {type(exc).__name__}: {exc}"
            box = panel_box(data.panel.get("gridPos", {}))
            draw_frame(canvas, data.panel, box, failed=True)
            draw_errors(canvas, box, data.errors)
    return canvas


def draw_panel(canvas: Canvas, data: PanelData) -> None:
    panel = data.panel
    box = panel_box(panel.get("gridPos", {}))
    kind = panel.get("type", "")
    errors = data.errors
    draw_frame(canvas, panel, box, failed=bool(errors),
               fill=stat_fill(data) if kind == "stat" and not errors else PANEL)
    if errors:
        draw_errors(canvas, box, errors)
        return
    drawer = DRAW.get(kind)
    if drawer is None:
        draw_message(canvas, box, f"panel type '{kind}' is not previewed", AXIS_TEXT)
        return
    if data.empty and kind not in ("text", "stat"):
        draw_message(canvas, box, "No data", NO_DATA)
        return
    drawer(canvas, data, box)


__all__ = ["DRAW", "Box", "Canvas", "PanelData", "TargetResult", "content_box", "draw", "draw_panel",
           "image_size", "panel_box", "render", "row_label", "stat_fill", "threshold_colour"]
