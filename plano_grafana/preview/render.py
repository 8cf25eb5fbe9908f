"""Draw a compiled dashboard and its query results as one PNG (matplotlib, Agg only).

The picture is laid out like Grafana lays out the dashboard: 24 columns, rows of
:data:`ROW_PX` pixels per grid unit, each panel at its ``gridPos`` with a frame and its
title, rows as headers (collapsed rows show their panel count). Each panel kind draws
what a reviewer needs to judge it: lines with a legend table and unit-formatted axis
and dashed SLO lines; the big number with its threshold colour and sparkline; bucket
heatmaps; bars; donuts; tables. A panel whose targets returned nothing says "No data";
one whose query failed shows Prometheus's error text in red. No display, no browser:
the Agg canvas is used directly, so this runs in CI and in tests.
"""

from __future__ import annotations

import functools
import io
import math
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime

import attr
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.textpath import TextToPath
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator

from plano_grafana.preview.query import Series, TargetResult
from plano_grafana.preview.units import format_value

COLUMNS = 24
COL_PX = 64          # one grid column
ROW_PX = 38          # one grid row: Grafana's 30 px cell + 8 px margin
GAP = 8              # between panels
MARGIN = 12          # around the grid
HEADER = 44          # dashboard title bar
TITLE_PX = 26        # panel title strip
DPI = 100
WIDTH = 2 * MARGIN + COLUMNS * COL_PX

# Grafana's dark theme
BACKGROUND = "#111217"
PANEL = "#181b1f"
BORDER = "#2c3038"
TEXT = "#ccccdc"
AXIS_TEXT = "#9fa2ad"
GRID = "#262a31"
NO_DATA = "#a0a3b4"      # the "No data" text; tests look for it
ERROR = "#f2495c"
#: Grafana's named colours (thresholds, stats) and the classic series palette.
NAMED = {"green": "#73bf69", "yellow": "#fade2a", "red": "#f2495c", "orange": "#ff9830",
         "blue": "#5794f2", "purple": "#b877d9", "dark-orange": "#fa6400", "text": TEXT,
         "transparent": PANEL, "dark-red": "#c4162a", "dark-green": "#37872d",
         "dark-yellow": "#e0b400", "semi-dark-green": "#56a64b", "light-blue": "#8ab8ff"}
PALETTE = ("#7eb26d", "#eab839", "#6ed0e0", "#ef843c", "#e24d42", "#1f78c1", "#ba43a9",
           "#705da0", "#508642", "#cca300", "#447ebc", "#c15c17", "#890f02", "#0a437c",
           "#6d1f62", "#584477", "#b7dbab", "#f4d598", "#70dbed", "#f9ba8f", "#f29191",
           "#82b5d8", "#e5a8e2", "#aea2e0")


@attr.s(frozen=True)
class Box:
    """A rectangle in image pixels, origin top left (as a PNG is read back)."""

    left: float = attr.ib()
    top: float = attr.ib()
    width: float = attr.ib()
    height: float = attr.ib()

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height


def panel_box(grid_pos: dict) -> Box:
    """Where a panel's frame is drawn for its ``gridPos``."""
    return Box(MARGIN + grid_pos.get("x", 0) * COL_PX + GAP / 2,
               HEADER + MARGIN + grid_pos.get("y", 0) * ROW_PX + GAP / 2,
               grid_pos.get("w", 12) * COL_PX - GAP, grid_pos.get("h", 8) * ROW_PX - GAP)


def content_box(box: Box) -> Box:
    return Box(box.left + 8, box.top + TITLE_PX, box.width - 16, box.height - TITLE_PX - 6)


def visible_panels(dashboard: dict) -> list[dict]:
    """Top-level panels as Grafana shows them (a collapsed row hides its own panels)."""
    return list(dashboard.get("panels", []))


def image_size(dashboard: dict) -> tuple[int, int]:
    """(width, height) in pixels: fixed width, height from the lowest panel's grid row."""
    rows = max((p.get("gridPos", {}).get("y", 0) + p.get("gridPos", {}).get("h", 8)
                for p in visible_panels(dashboard)), default=1)
    return WIDTH, HEADER + 2 * MARGIN + rows * ROW_PX


@attr.s
class PanelData:
    """What a panel's targets returned, and the window they cover."""

    panel: dict = attr.ib()
    results: list = attr.ib(factory=list)   # list[TargetResult]
    start: float = attr.ib(default=0.0)
    end: float = attr.ib(default=0.0)
    step: float = attr.ib(default=15.0)
    draw_error: str = attr.ib(default="")

    @property
    def errors(self) -> list[str]:
        found = [f"{r.ref_id}: {r.error}" for r in self.results if r.error]
        return [*found, self.draw_error] if self.draw_error else found

    @property
    def series(self) -> list[Series]:
        return [s for r in self.results for s in r.series]

    @property
    def empty(self) -> bool:
        return not self.errors and not any(s.values for s in self.series)


# --------------------------------------------------------------------------- helpers

def display(value: float | None, unit: str | None = None, decimals: int | None = None) -> str:
    """Grafana's text for a value as a browser shows it: runs of spaces collapse to one
    (``suffix: tok/s`` formats as ``"66  tok/s"`` but reads ``66 tok/s``)."""
    return " ".join(format_value(value, unit, decimals).split())


def colour(name: str | None) -> str:
    if not name:
        return NAMED["green"]
    return NAMED.get(name, name)


def threshold_colour(steps: Sequence[dict], value: float | None) -> str:
    """The colour of the highest step whose value is ≤ ``value`` (absolute mode)."""
    chosen = steps[0]["color"] if steps else "green"
    if value is None or math.isnan(value):
        return colour(chosen)
    for step in steps:
        if step.get("value") is None or value >= step["value"]:
            chosen = step["color"]
    return colour(chosen)


def _defaults(panel: dict) -> dict:
    return panel.get("fieldConfig", {}).get("defaults", {})


def _unit(panel: dict) -> str | None:
    return _defaults(panel).get("unit") or panel.get("format")


def _decimals(panel: dict) -> int | None:
    value = _defaults(panel).get("decimals")
    return int(value) if isinstance(value, (int, float)) else None


def _steps(panel: dict) -> list[dict]:
    return _defaults(panel).get("thresholds", {}).get("steps", []) or []


def guess_decimals(increment: float) -> int:
    """Grafana's axis: decimals of the tick increment (``guessDecimals``)."""
    text = repr(round(float(increment), 6))
    return 0 if "e" in text or "." not in text or text.endswith(".0") else len(text.split(".")[1])


def reduce(values: Sequence[float], calc: str) -> float | None:
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return None
    return {"mean": sum(finite) / len(finite), "max": max(finite), "min": min(finite),
            "sum": sum(finite), "first": finite[0], "firstNotNull": finite[0],
            "last": values[-1] if values and not math.isnan(values[-1]) else finite[-1],
            "lastNotNull": finite[-1]}.get(calc, finite[-1])


_CALC_TITLES = {"mean": "Mean", "lastNotNull": "Last *", "last": "Last", "max": "Max",
                "min": "Min", "sum": "Total", "first": "First", "firstNotNull": "First *"}


_TEXT_PATH = TextToPath()


@functools.lru_cache(maxsize=4096)
def text_width(text: str, size_pt: float, bold: bool = False) -> float:
    """Width in pixels of ``text`` in the default font, as the Agg canvas will draw it."""
    prop = FontProperties(size=size_pt, weight="bold" if bold else "normal")
    width, _, _ = _TEXT_PATH.get_text_width_height_descent(text, prop, ismath=False)
    return width * DPI / 72


def _fit(text: str, width_px: float, size_pt: float, bold: bool = False) -> str:
    """``text``, cut with an ellipsis where it would overflow ``width_px`` (as Grafana does)."""
    if text_width(text, size_pt, bold) <= width_px:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width(text[:mid] + "…", size_pt, bold) <= width_px:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo] + "…"


class Canvas:
    """The figure, plus an overlay axes in pixel coordinates for frames and text."""

    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor=BACKGROUND)
        FigureCanvasAgg(self.figure)
        # frames and backgrounds under the panels' plots, text and legend marks above them
        self.under = self._pixels(zorder=0)
        self.overlay = self._pixels(zorder=10)

    def _pixels(self, zorder: float):
        ax = self.figure.add_axes((0, 0, 1, 1), zorder=zorder)
        ax.set_xlim(0, self.width)
        ax.set_ylim(self.height, 0)
        ax.axis("off")
        ax.patch.set_alpha(0)
        return ax

    def fraction(self, box: Box) -> tuple[float, float, float, float]:
        return (box.left / self.width, 1 - box.bottom / self.height,
                box.width / self.width, box.height / self.height)

    def axes(self, box: Box, zorder: int = 1):
        ax = self.figure.add_axes(self.fraction(box), zorder=zorder)
        ax.set_facecolor(PANEL)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.tick_params(colors=AXIS_TEXT, labelsize=7, length=0, pad=3)
        return ax

    def text(self, x: float, y: float, text: str, **kw):
        kw.setdefault("color", TEXT)
        kw.setdefault("fontsize", 8)
        kw.setdefault("va", "center")
        return self.overlay.text(x, y, text, clip_on=False, **kw)

    def rect(self, box: Box, **kw):
        self.under.add_patch(Rectangle((box.left, box.top), box.width, box.height, **kw))

    def png(self) -> bytes:
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=DPI, facecolor=BACKGROUND)
        return buffer.getvalue()


# --------------------------------------------------------------------------- panels

def contrast(background: str) -> str:
    """Dark text on a light fill (a yellow stat), light text on a dark one."""
    r, g, b = (int(background.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return "#181b1f" if 0.299 * r + 0.587 * g + 0.114 * b > 0.6 else "#ffffff"


def _frame(canvas: Canvas, panel: dict, box: Box, failed: bool, fill: str = PANEL) -> None:
    canvas.rect(box, facecolor=fill, edgecolor=ERROR if failed else BORDER, linewidth=1.2 if failed else 0.8,
                zorder=0)
    title_colour = TEXT if fill == PANEL else contrast(fill)
    title = panel.get("title", "")
    if failed:
        canvas.rect(Box(box.left, box.top, 18, 18), facecolor=ERROR, zorder=1)
        canvas.text(box.left + 9, box.top + 9, "!", color="white", fontsize=8, ha="center",
                    fontweight="bold", zorder=2)
    canvas.text(box.left + (24 if failed else 8), box.top + 13,
                _fit(title, box.width - (32 if failed else 16), 9, bold=True),
                fontsize=9, fontweight="bold", zorder=2, color=title_colour)


def _message(canvas: Canvas, box: Box, text: str, colour_: str) -> None:
    inner = content_box(box)
    canvas.text(inner.left + inner.width / 2, inner.top + inner.height / 2, text, color=colour_,
                fontsize=12, ha="center", zorder=2)


def _errors(canvas: Canvas, box: Box, errors: list[str]) -> None:
    inner = content_box(box)
    chars = max(int(inner.width / 6.2), 20)
    lines: list[str] = []
    for error in errors:
        lines += textwrap.wrap(error, chars) or [""]
    room = max(int(inner.height / 13), 1)
    if len(lines) > room:
        lines = [*lines[: room - 1], "…"]
    canvas.text(inner.left, inner.top + 4, "\n".join(lines), color=ERROR, fontsize=7.5, va="top",
                family="monospace", zorder=2, linespacing=1.25)


def _grid(step: float, start: float, end: float) -> list[float]:
    first = math.floor(start / step) * step
    count = int((end - first) / step) + 1
    return [first + i * step for i in range(max(count, 1))]


def _aligned(series: Series, grid: Sequence[float]) -> list[float]:
    """Values on the step grid; a missing step is a gap (``spanNulls: false``)."""
    by_time = {round(t, 3): v for t, v in zip(series.times, series.values, strict=True)}
    return [by_time.get(round(t, 3), math.nan) for t in grid]


def _time_axis(ax, start: float, end: float) -> None:
    ax.set_xlim(start, end)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=max(int(ax.bbox.width / 90), 2), steps=[1, 2, 3, 5, 6, 10]))
    span = end - start
    fmt = "%H:%M:%S" if span <= 600 else "%H:%M" if span <= 86400 * 2 else "%m/%d"
    ax.xaxis.set_major_formatter(FuncFormatter(
        lambda v, _: datetime.fromtimestamp(v, tz=UTC).strftime(fmt)))


class UnitFormatter(Formatter):
    """Tick labels as Grafana's axis writes them: the unit's text, decimals of the increment."""

    def __init__(self, unit: str | None, decimals: int | None):
        self.unit, self.decimals = unit, decimals
        self.ticks: list[float] = []

    def set_locs(self, locs) -> None:
        self.ticks = sorted(float(v) for v in locs)

    def __call__(self, value: float, pos=None) -> str:
        if self.decimals is not None:
            return display(value, self.unit, self.decimals)
        locs = self.ticks
        increment = locs[1] - locs[0] if len(locs) > 1 else 0
        return display(value, self.unit, guess_decimals(increment) or None if increment else None)


def _value_axis(canvas: Canvas, ax, box: Box, unit: str | None, decimals: int | None) -> None:
    """Unit-formatted value axis; the plot starts right of its widest label, as in Grafana."""
    ax.yaxis.set_major_locator(MaxNLocator(nbins=max(int(box.height / 38), 2)))
    formatter = UnitFormatter(unit, decimals)
    ax.yaxis.set_major_formatter(formatter)
    ax.grid(True, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    lo, hi = sorted(ax.get_ylim())
    ticks = [t for t in ax.get_yticks() if lo - 1e-12 <= t <= hi + 1e-12]
    formatter.set_locs(ticks)
    widest = max((len(formatter(t)) for t in ticks), default=4)
    left = min(widest * 5.4 + 8, box.width * 0.4)
    ax.set_position(canvas.fraction(Box(box.left + left, box.top, box.width - left - 4, box.height)))


def _legend_table(canvas: Canvas, box: Box, rows: list[tuple[str, str, list[str]]],
                  headers: list[str]) -> None:
    """Grafana's table legend: colour, name, one column per calculation."""
    row_h, value_w = 15, 62
    name_w = box.width - 14 - value_w * len(headers)
    y = box.top + row_h / 2
    for i, head in enumerate(headers):
        canvas.text(box.left + 14 + name_w + value_w * (i + 1) - 4, y, head, fontsize=7, ha="right",
                    color=AXIS_TEXT, zorder=2)
    for colour_, name, values in rows:
        y += row_h
        if colour_:
            canvas.overlay.plot([box.left + 1, box.left + 10], [y, y], color=colour_, linewidth=2.5, zorder=2)
        canvas.text(box.left + 14, y, _fit(name, name_w - 6, 7), fontsize=7, zorder=2)
        for i, value in enumerate(values):
            canvas.text(box.left + 14 + name_w + value_w * (i + 1) - 4, y, value, fontsize=7, ha="right",
                        zorder=2)


def draw_timeseries(canvas: Canvas, data: PanelData, box: Box) -> None:
    panel = data.panel
    inner = content_box(box)
    defaults, options = _defaults(panel), panel.get("options", {})
    custom = defaults.get("custom", {})
    unit, decimals = _unit(panel), _decimals(panel)
    grid = _grid(data.step, data.start, data.end)
    series = [s for s in data.series if s.values]
    legend = options.get("legend", {})
    calcs = list(legend.get("calcs", []))
    show_legend = legend.get("showLegend", True) and legend.get("displayMode", "list") != "hidden"
    plot = inner
    if show_legend and series:
        rows_fit = max(int(inner.height * 0.45 / 15) - 1, 1)
        shown = series if len(series) <= rows_fit else series[: rows_fit - 1]
        legend_rows = []
        for i, s in enumerate(shown):
            values = [display(reduce(s.values, c), unit, decimals) if reduce(s.values, c) is not None
                      else "-" for c in calcs]
            legend_rows.append((PALETTE[i % len(PALETTE)], s.name, values))
        if len(shown) < len(series):
            legend_rows.append(("", f"… {len(series) - len(shown)} more series", []))
        height = 15 * (len(legend_rows) + 1) + 2
        plot = Box(inner.left, inner.top, inner.width, inner.height - height)
        _legend_table(canvas, Box(inner.left, plot.bottom + 2, inner.width, height),
                      legend_rows, [_CALC_TITLES.get(c, c) for c in calcs])
    axes_box = Box(plot.left, plot.top + 2, plot.width, plot.height - 18)
    ax = canvas.axes(axes_box)
    _time_axis(ax, data.start, data.end)
    stack = custom.get("stacking", {}).get("mode", "none") not in ("none", None)
    alpha = custom.get("fillOpacity", 0) / 100
    base = [0.0] * len(grid)
    for i, s in enumerate(series):
        values = _aligned(s, grid)
        if stack:
            top = [b + (0 if math.isnan(v) else v) for b, v in zip(base, values, strict=True)]
            lower = base
            values = [t if not math.isnan(v) else math.nan for t, v in zip(top, values, strict=True)]
            base = top
        else:
            lower = [0.0] * len(grid)
        c = PALETTE[i % len(PALETTE)]
        ax.plot(grid, values, color=c, linewidth=custom.get("lineWidth", 1) or 1)
        if alpha:
            ax.fill_between(grid, lower, values, color=c, alpha=alpha, linewidth=0)
    lo, hi = defaults.get("min"), defaults.get("max")
    if lo is not None or hi is not None:
        ax.set_ylim(bottom=lo, top=hi)
    elif not series:
        ax.set_ylim(0, 1)
    style = custom.get("thresholdsStyle", {}).get("mode", "off")
    if style in ("dashed", "line", "dashed+area", "line+area"):
        ylim = ax.get_ylim()
        for step in _steps(panel):
            if step.get("value") is not None:
                ax.axhline(step["value"], color=colour(step["color"]), linewidth=1,
                           linestyle="--" if style.startswith("dashed") else "-", alpha=0.9)
        ax.set_ylim(ylim)
    _value_axis(canvas, ax, axes_box, unit, decimals)


def _stat_value(data: PanelData, s: Series | None) -> float | None:
    calc = (data.panel.get("options", {}).get("reduceOptions", {}).get("calcs") or ["lastNotNull"])[0]
    return reduce(s.values, calc) if s else None


def stat_fill(data: PanelData) -> str:
    """The frame colour of a stat: its threshold colour in background mode with one value."""
    series = [s for s in data.series if s.values]
    if data.panel.get("options", {}).get("colorMode") != "background" or len(series) != 1:
        return PANEL
    value = _stat_value(data, series[0])
    return PANEL if value is None else threshold_colour(_steps(data.panel), value)


def draw_stat(canvas: Canvas, data: PanelData, box: Box) -> None:
    """The big number in its threshold colour (or on it), with the sparkline under it."""
    panel = data.panel
    defaults, options = _defaults(panel), panel.get("options", {})
    inner = content_box(box)
    unit, decimals = _unit(panel), _decimals(panel)
    series = [s for s in data.series if s.values] or [None]
    width = inner.width / len(series)
    background = options.get("colorMode") == "background"
    for i, s in enumerate(series):
        cell = Box(inner.left + i * width, inner.top, width, inner.height)
        value = _stat_value(data, s)
        if value is None:
            text = defaults.get("noValue") or "No data"
            shade = NO_DATA if text == "No data" else TEXT
        else:
            text = display(value, unit, decimals)
            shade = threshold_colour(_steps(panel), value)
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
            canvas.text(cell.left + cell.width / 2, cell.top + 4, _fit(s.name, cell.width, 7), ha="center",
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
    unit = options.get("yAxis", {}).get("unit") or _unit(panel)
    inner = content_box(box)
    buckets = [s for s in data.series if s.values]
    grid = _grid(data.step, data.start, data.end)
    matrix = [_aligned(s, grid) for s in buckets]
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
    _time_axis(ax, data.start, data.end)
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
    defaults, options = _defaults(panel), panel.get("options", {})
    unit, decimals = _unit(panel), _decimals(panel)
    calc = (options.get("reduceOptions", {}).get("calcs") or ["lastNotNull"])[0]
    items = [(s.name, reduce(s.values, calc)) for s in data.series if s.values]
    items = [(n, v) for n, v in items if v is not None]
    inner = content_box(box)
    lo = defaults.get("min") or 0
    hi = defaults.get("max") or max((v for _, v in items), default=1) or 1
    palette = defaults.get("color", {}).get("mode") == "palette-classic"
    vertical = options.get("orientation") == "vertical"
    count = max(len(items), 1)
    if vertical:
        slot = inner.width / count
        ax = canvas.axes(Box(inner.left, inner.top + 16, inner.width, inner.height - 32))
        for i, (name, value) in enumerate(items):
            c = PALETTE[i % len(PALETTE)] if palette else threshold_colour(_steps(panel), value)
            ax.bar(i, hi - lo, bottom=lo, color="#22252b", width=0.8)
            ax.bar(i, value - lo, bottom=lo, color=c, width=0.8)
            canvas.text(inner.left + slot * (i + 0.5), inner.top + 8, display(value, unit, decimals),
                        ha="center", fontsize=7.5, color=c, zorder=2)
            canvas.text(inner.left + slot * (i + 0.5), inner.bottom - 7, _fit(name, slot, 7), ha="center",
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
        c = PALETTE[i % len(PALETTE)] if palette else threshold_colour(_steps(panel), value)
        bar_h = max(slot - name_h - 4, 3)
        bar_w = inner.width - value_w - (0 if name_h else inner.width * 0.3)
        left = inner.left + (0 if name_h else inner.width * 0.3)
        if name_h:
            canvas.text(inner.left, top + name_h / 2 + 1, _fit(name, inner.width, 7), fontsize=7, zorder=2)
        else:
            canvas.text(inner.left, top + bar_h / 2 + 1, _fit(name, inner.width * 0.3 - 4, 7), fontsize=7,
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
    unit, decimals = _unit(panel), _decimals(panel)
    items = [(s.name, s.last) for s in data.series if s.last is not None and s.last > 0]
    inner = content_box(box)
    if not items:
        _message(canvas, box, "No data", NO_DATA)
        return
    legend = options.get("legend", {})
    right = legend.get("placement", "right") == "right"
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
    values = legend.get("values", [])
    rows = [(c, n, [display(v, unit, decimals) if k == "value" else f"{v / total * 100:.0f}%"
                    for k in values]) for c, (n, v) in zip(colours, items, strict=True)]
    if right:
        _legend_table(canvas, Box(inner.right - legend_w, inner.top + 4, legend_w, inner.height), rows,
                      [k.capitalize() for k in values])


def draw_table(canvas: Canvas, data: PanelData, box: Box) -> None:
    panel = data.panel
    unit, decimals = _unit(panel), _decimals(panel)
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
        canvas.text(inner.left + i * col_w + 4, y, _fit(head, col_w - 8, 7.5), fontsize=7.5,
                    fontweight="bold", color=AXIS_TEXT, zorder=2)
    canvas.overlay.plot([inner.left, inner.right], [y + row_h / 2, y + row_h / 2], color=BORDER, lw=0.8)
    for key, cells in items:
        y += row_h
        texts = [*key, *(display(cells[h], unit, decimals) if cells.get(h) is not None else ""
                         for h in values)]
        for i, text in enumerate(texts):
            canvas.text(inner.left + i * col_w + 4, y, _fit(text, col_w - 8, 7.5), fontsize=7.5, zorder=2)
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
            _frame(canvas, data.panel, box, failed=True)
            _errors(canvas, box, data.errors)
    return canvas.png()


def draw_panel(canvas: Canvas, data: PanelData) -> None:
    panel = data.panel
    box = panel_box(panel.get("gridPos", {}))
    kind = panel.get("type", "")
    errors = data.errors
    _frame(canvas, panel, box, failed=bool(errors),
           fill=stat_fill(data) if kind == "stat" and not errors else PANEL)
    if errors:
        _errors(canvas, box, errors)
        return
    draw = DRAW.get(kind)
    if draw is None:
        _message(canvas, box, f"panel type '{kind}' is not previewed", AXIS_TEXT)
        return
    if data.empty and kind not in ("text", "stat"):
        _message(canvas, box, "No data", NO_DATA)
        return
    draw(canvas, data, box)


__all__ = ["Box", "PanelData", "TargetResult", "content_box", "image_size", "panel_box", "render"]
