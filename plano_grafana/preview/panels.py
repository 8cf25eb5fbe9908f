"""The panels that are not time series: stat, heatmap, bar gauge, pie chart, table, text.

Each draws what a reviewer needs to judge it: the big number in its threshold colour
(or on it, in background mode) with its sparkline; Prometheus buckets as heatmap cells
with their bounds in the unit; ranked bars; a donut with its value/percent legend; an
instant table with the series' labels as columns; a text panel's content.
"""

from __future__ import annotations

import math
import textwrap

from matplotlib.colors import PowerNorm

from plano_grafana.preview import legend
from plano_grafana.preview.axes import aligned, step_grid, time_axis
from plano_grafana.preview.canvas import (
    AXIS_TEXT,
    BORDER,
    DPI,
    NO_DATA,
    PALETTE,
    PANEL,
    TEXT,
    Box,
    Canvas,
    content_box,
    contrast,
    draw_message,
    fit,
    text_width,
)
from plano_grafana.preview.fields import (
    PanelData,
    decimals_of,
    defaults,
    display,
    reduce,
    steps_of,
    threshold_colour,
    unit_of,
)
from plano_grafana.preview.query import Series


def _stat_value(data: PanelData, s: Series | None) -> float | None:
    calc = (data.panel.get("options", {}).get("reduceOptions", {}).get("calcs") or ["lastNotNull"])[0]
    return reduce(s.values, calc) if s else None


def stat_fill(data: PanelData) -> str:
    """The frame colour of a stat: its threshold colour in background mode with one value."""
    series = [s for s in data.series if s.values]
    if data.panel.get("options", {}).get("colorMode") != "background" or len(series) != 1:
        return PANEL
    value = _stat_value(data, series[0])
    return PANEL if value is None else threshold_colour(steps_of(defaults(data.panel)), value)


def draw_stat(canvas: Canvas, data: PanelData, box: Box) -> None:
    """The big number in its threshold colour (or on it), with the sparkline under it."""
    panel = data.panel
    defaults_, options = defaults(panel), panel.get("options", {})
    inner = content_box(box)
    unit, decimals = unit_of(panel), decimals_of(defaults(panel))
    series = [s for s in data.series if s.values] or [None]
    width = inner.width / len(series)
    background = options.get("colorMode") == "background"
    for i, s in enumerate(series):
        cell = Box(inner.left + i * width, inner.top, width, inner.height)
        value = _stat_value(data, s)
        if value is None:
            text = defaults_.get("noValue") or "No data"
            shade = NO_DATA if text == "No data" else TEXT
        else:
            text = display(value, unit, decimals)
            shade = threshold_colour(steps_of(defaults_), value)
        if background and value is not None and len(series) > 1:
            canvas.rect(Box(cell.left, cell.top, cell.width - 2, cell.height), facecolor=shade,
                        edgecolor="none", zorder=0.5)
        sparkline = options.get("graphMode") == "area" and s is not None and len(s.values) > 1
        number_h = cell.height * (0.55 if sparkline else 0.8)
        size_pt = min(number_h * 0.6, 44) * 72 / DPI
        size_pt *= min(1.0, cell.width * 0.9 / max(text_width(text, size_pt, True), 1))
        canvas.text(cell.left + cell.width / 2, cell.top + number_h / 2 + 2, text, ha="center",
                    fontsize=size_pt, fontweight="bold", zorder=2,
                    color=contrast(shade) if background and value is not None else shade)
        if len(series) > 1 and s is not None:
            canvas.text(cell.left + cell.width / 2, cell.top + 4, fit(s.name, cell.width, 7), ha="center",
                        fontsize=7, zorder=2)
        if sparkline:
            spark = Box(cell.left - 8, cell.top + number_h, cell.width + 16, cell.height - number_h + 6)
            ax = canvas.axes(spark, zorder=1)
            ax.patch.set_alpha(0)
            ax.axis("off")
            line = contrast(shade) if background else shade
            finite = [(t, v) for t, v in zip(s.times, s.values, strict=True) if not math.isnan(v)]
            if finite:
                xs, ys = zip(*finite, strict=True)
                ax.plot(xs, ys, color=line, linewidth=1, alpha=0.8)
                ax.fill_between(xs, min(ys), ys, color=line, alpha=0.2, linewidth=0)
                ax.set_xlim(data.start, data.end)


def _bucket_label(name: str, unit: str | None) -> str:
    try:
        bound = float(name)
    except ValueError:
        return name
    return "+Inf" if math.isinf(bound) else display(bound, unit)


def draw_heatmap(canvas: Canvas, data: PanelData, box: Box) -> None:
    panel = data.panel
    options = panel.get("options", {})
    unit = options.get("yAxis", {}).get("unit") or unit_of(panel)
    inner = content_box(box)
    buckets = [s for s in data.series if s.values]
    grid = step_grid(data.step, data.start, data.end)
    matrix = [aligned(s, grid) for s in buckets]
    floor_ = options.get("filterValues", {}).get("le", 1e-9)
    cells = [[v if not math.isnan(v) and v > floor_ else math.nan for v in row] for row in matrix]
    peak = max((v for row in cells for v in row if not math.isnan(v)), default=1.0)
    scale = options.get("color", {})
    exponent = scale.get("exponent", 0.5) if scale.get("scale") == "exponential" else 1.0
    legend_h = 16 if options.get("legend", {}).get("show", True) else 0
    ax = canvas.axes(Box(inner.left + 58, inner.top + 2, inner.width - 62, inner.height - 20 - legend_h))
    edges = [*grid, grid[-1] + data.step] if grid else [data.start, data.end]
    ax.pcolormesh([t - data.step for t in edges], list(range(len(cells) + 1)), cells or [[math.nan]],
                  cmap="Oranges_r" if not scale.get("reverse") else "Oranges",
                  norm=PowerNorm(gamma=exponent, vmin=0, vmax=peak), shading="flat",
                  edgecolors=PANEL, linewidth=0.3 if len(grid) < 200 else 0)
    time_axis(ax, data.start, data.end)
    names = [_bucket_label(s.labels.get("le", s.name), unit) for s in buckets]
    every = max(math.ceil(len(names) / max(ax.bbox.height / 14, 1)), 1)
    ax.set_yticks([i + 0.5 for i in range(0, len(names), every)], names[::every])
    ax.set_ylim(0, max(len(names), 1))
    if legend_h:
        bar = canvas.axes(Box(inner.left + 58, inner.bottom - 10, min(inner.width - 62, 220), 7))
        bar.imshow([[i / 63 for i in range(64)]], aspect="auto", cmap="Oranges_r",
                   norm=PowerNorm(gamma=exponent, vmin=0, vmax=1))
        bar.set_xticks([])
        bar.set_yticks([])
        canvas.text(inner.left + 54, inner.bottom - 7, "0", fontsize=6.5, ha="right", color=AXIS_TEXT)
        canvas.text(inner.left + 62 + min(inner.width - 62, 220), inner.bottom - 7,
                    display(peak, "short"), fontsize=6.5, color=AXIS_TEXT)


def draw_bargauge(canvas: Canvas, data: PanelData, box: Box) -> None:
    panel = data.panel
    defaults_, options = defaults(panel), panel.get("options", {})
    unit, decimals = unit_of(panel), decimals_of(defaults(panel))
    calc = (options.get("reduceOptions", {}).get("calcs") or ["lastNotNull"])[0]
    items = [(s.name, reduce(s.values, calc)) for s in data.series if s.values]
    items = [(n, v) for n, v in items if v is not None]
    inner = content_box(box)
    lo = defaults_.get("min") or 0
    hi = defaults_.get("max") or max((v for _, v in items), default=1) or 1
    palette = defaults_.get("color", {}).get("mode") == "palette-classic"
    vertical = options.get("orientation") == "vertical"
    count = max(len(items), 1)
    if vertical:
        slot = inner.width / count
        ax = canvas.axes(Box(inner.left, inner.top + 16, inner.width, inner.height - 32))
        for i, (name, value) in enumerate(items):
            c = PALETTE[i % len(PALETTE)] if palette else threshold_colour(steps_of(defaults_), value)
            ax.bar(i, hi - lo, bottom=lo, color="#22252b", width=0.8)
            ax.bar(i, value - lo, bottom=lo, color=c, width=0.8)
            canvas.text(inner.left + slot * (i + 0.5), inner.top + 8, display(value, unit, decimals),
                        ha="center", fontsize=7.5, color=c, zorder=2)
            canvas.text(inner.left + slot * (i + 0.5), inner.bottom - 7, fit(name, slot, 7), ha="center",
                        fontsize=7, zorder=2)
        ax.set_xlim(-0.5, count - 0.5)
        ax.set_ylim(lo, hi)
        ax.axis("off")
        return
    slot = min(inner.height / count, 40)
    name_h = 12 if slot >= 22 else 0
    value_w = 64
    for i, (name, value) in enumerate(items):
        top = inner.top + i * slot
        c = PALETTE[i % len(PALETTE)] if palette else threshold_colour(steps_of(defaults_), value)
        bar_h = max(slot - name_h - 4, 3)
        bar_w = inner.width - value_w - (0 if name_h else inner.width * 0.3)
        left = inner.left + (0 if name_h else inner.width * 0.3)
        if name_h:
            canvas.text(inner.left, top + name_h / 2 + 1, fit(name, inner.width, 7), fontsize=7, zorder=2)
        else:
            canvas.text(inner.left, top + bar_h / 2 + 1, fit(name, inner.width * 0.3 - 4, 7), fontsize=7,
                        zorder=2)
        canvas.rect(Box(left, top + name_h + 1, bar_w, bar_h), facecolor="#22252b", edgecolor="none",
                    zorder=1)
        share = 0 if hi == lo else min(max((value - lo) / (hi - lo), 0), 1)
        canvas.rect(Box(left, top + name_h + 1, bar_w * share, bar_h), facecolor=c, edgecolor="none",
                    zorder=1.5)
        canvas.text(inner.right, top + name_h + 1 + bar_h / 2, display(value, unit, decimals),
                    ha="right", fontsize=8, color=c, fontweight="bold", zorder=2)


def draw_piechart(canvas: Canvas, data: PanelData, box: Box) -> None:
    panel = data.panel
    options = panel.get("options", {})
    unit, decimals = unit_of(panel), decimals_of(defaults(panel))
    items = [(s.name, s.last) for s in data.series if s.last is not None and s.last > 0]
    inner = content_box(box)
    if not items:
        draw_message(canvas, box, "No data", NO_DATA)
        return
    shown = options.get("legend", {})
    right = shown.get("placement", "right") == "right"
    legend_w = inner.width * 0.5 if right else 0
    size = min(inner.width - legend_w, inner.height)
    ax = canvas.axes(Box(inner.left + (inner.width - legend_w - size) / 2,
                         inner.top + (inner.height - size) / 2, size, size))
    ax.set_aspect("equal")
    ax.axis("off")
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(items))]
    donut = options.get("pieType") == "donut"
    ax.pie([v for _, v in items], colors=colours, startangle=90, counterclock=False,
           wedgeprops={"width": 0.45 if donut else 1, "edgecolor": PANEL, "linewidth": 1})
    total = sum(v for _, v in items) or 1
    values = shown.get("values", [])
    rows = [legend.Row(c, n, tuple(display(v, unit, decimals) if k == "value" else f"{v / total * 100:.0f}%"
                                   for k in values), ())
            for c, (n, v) in zip(colours, items, strict=True)]
    if right:
        legend.draw(canvas, Box(inner.right - legend_w, inner.top + 4, legend_w, inner.height), rows,
                      [k.capitalize() for k in values])


def draw_table(canvas: Canvas, data: PanelData, box: Box) -> None:
    panel = data.panel
    unit, decimals = unit_of(panel), decimals_of(defaults(panel))
    inner = content_box(box)
    results = [r for r in data.results if r.series]
    many = len(results) > 1
    columns = sorted({k for r in results for s in r.series for k in s.labels if k != "__name__"})
    values = [f"Value #{r.ref_id}" if many else "Value" for r in results]
    rows: dict[tuple, dict] = {}
    for r, head in zip(results, values, strict=True):
        for s in r.series:
            key = tuple(s.labels.get(k, "") for k in columns)
            rows.setdefault(key, {})[head] = s.last
    headers = columns + values
    col_w = inner.width / max(len(headers), 1)
    row_h = 20
    room = max(int(inner.height / row_h) - 1, 1)
    items = list(rows.items())
    if len(items) > room:
        items = items[: room - 1]
    y = inner.top + row_h / 2
    for i, head in enumerate(headers):
        canvas.text(inner.left + i * col_w + 4, y, fit(head, col_w - 8, 7.5), fontsize=7.5,
                    fontweight="bold", color=AXIS_TEXT, zorder=2)
    canvas.overlay.plot([inner.left, inner.right], [y + row_h / 2, y + row_h / 2], color=BORDER, lw=0.8)
    for key, cells in items:
        y += row_h
        texts = [*key, *(display(cells[h], unit, decimals) if cells.get(h) is not None else ""
                         for h in values)]
        for i, text in enumerate(texts):
            canvas.text(inner.left + i * col_w + 4, y, fit(text, col_w - 8, 7.5), fontsize=7.5, zorder=2)
    if len(items) < len(rows):
        canvas.text(inner.left + 4, y + row_h, f"… {len(rows) - len(items)} more rows", fontsize=7,
                    color=AXIS_TEXT, zorder=2)


def draw_text(canvas: Canvas, data: PanelData, box: Box) -> None:
    inner = content_box(box)
    content = data.panel.get("options", {}).get("content", "") or data.panel.get("content", "")
    chars = max(int(inner.width / 6), 10)
    lines = [line for para in content.splitlines() for line in (textwrap.wrap(para, chars) or [""])]
    canvas.text(inner.left, inner.top, "\n".join(lines[: max(int(inner.height / 13), 1)]), fontsize=7.5,
                va="top", zorder=2)
