"""The time series panel as Grafana draws it: per-series config, scales and axes, stacking.

Every series is drawn with its own field config (defaults plus overrides, :mod:`.fields`):

- **scales and axes.** Series share a scale when their unit, ``min``/``max``, soft
  limits, ``axisPlacement`` and axis label agree (``buildScaleKey`` in
  packages/grafana-ui/src/components/GraphNG/utils.ts); each scale has its own value axis.
  ``axisPlacement: auto`` goes left for the first axis and right once the left is taken;
  ``left``/``right`` force a side, ``hidden`` draws none (``UPlotConfigBuilder.addAxis``,
  packages/grafana-ui/src/components/uPlot/config/UPlotConfigBuilder.ts). An axis' ticks
  use its first series' unit and decimals; ``min``/``max`` fix its range.
- **stacking.** Series stack together only with the same ``stacking.mode``, ``group``
  and scale (``getStackingGroups``, packages/grafana-ui/src/components/uPlot/utils.ts),
  so an override with ``mode: none`` or another unit leaves a series unstacked.
  ``percent`` stacks shares of the group's total.
- **style.** ``color`` (``fixed`` by name, else the classic palette), ``lineWidth``,
  ``fillOpacity``, and ``lineStyle``: any fill but ``solid`` dashes with ``dash`` or
  [10, 10] (UPlotSeriesBuilder.ts).
- **hideFrom.** ``viz`` leaves the series out of the plot and its stack, ``legend`` out
  of the legend (:mod:`.legend`); ``tooltip`` has nothing to hide in a picture.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attr

from plano_grafana.preview import legend
from plano_grafana.preview.axes import aligned, step_grid, time_axis, value_axis
from plano_grafana.preview.canvas import AXIS_TEXT, Box, Canvas, content_box
from plano_grafana.preview.fields import CALC_TITLES, Field, PanelData, colour, defaults, steps_of

#: Grafana's scale key for a field without a unit (``FIXED_UNIT``).
FIXED_UNIT = "__fixed"
#: Pixels per point: matplotlib dashes are in points, Grafana's in CSS pixels.
_PT_PER_PX = 72 / 100


@attr.s
class Scale:
    """Series that share a value axis, and where that axis is drawn."""

    key: tuple = attr.ib()
    side: str = attr.ib()
    fields: list = attr.ib(factory=list)

    @property
    def unit(self) -> str | None:
        return self.fields[0].unit

    @property
    def decimals(self) -> int | None:
        return self.fields[0].decimals

    @property
    def limits(self) -> tuple[float | None, float | None]:
        config = self.fields[0].config
        return config.get("min"), config.get("max")


def scale_key(field: Field) -> tuple:
    """``buildScaleKey``: unit, hard and soft range, placement, label."""
    config, custom = field.config, field.custom
    return (config.get("unit") or FIXED_UNIT, config.get("min"), config.get("max"),
            custom.get("axisSoftMin"), custom.get("axisSoftMax"), custom.get("axisPlacement") or "auto",
            custom.get("axisLabel") or "")


def scales(fields: Sequence[Field]) -> list[Scale]:
    """One :class:`Scale` per distinct key, in series order, each placed as ``addAxis`` does."""
    found: dict[tuple, Scale] = {}
    has_left = False
    for f in fields:
        key = scale_key(f)
        if key not in found:
            placement = key[5]
            side = placement if placement in ("left", "right", "hidden") else "right" if has_left else "left"
            has_left = has_left or side == "left"
            found[key] = Scale(key, side)
        found[key].fields.append(f)
    return list(found.values())


def stack_key(field: Field) -> tuple | None:
    """The stacking group of a series, or None when it is not stacked."""
    stacking = field.custom.get("stacking") or {}
    mode = stacking.get("mode") or "none"
    if mode == "none" or field.hidden("viz"):
        return None
    return mode, stacking.get("group", "A"), scale_key(field)


def stacked(fields: Sequence[Field], grid: Sequence[float]) -> dict[int, tuple[list, list]]:
    """For every series: (lower edge, upper edge) on the grid, stacks accumulated."""
    out: dict[int, tuple[list, list]] = {}
    bases: dict[tuple, list[float]] = {}
    totals: dict[tuple, list[float]] = {}
    values = {f.index: aligned(f.series, grid) for f in fields}
    for f in fields:
        key = stack_key(f)
        if key and key[0] == "percent":
            total = totals.setdefault(key, [0.0] * len(grid))
            totals[key] = [t + (0 if math.isnan(v) else v)
                           for t, v in zip(total, values[f.index], strict=True)]
    for f in fields:
        own, key = values[f.index], stack_key(f)
        if key is None:
            out[f.index] = ([0.0] * len(grid), own)
            continue
        if key[0] == "percent":
            own = [v / t if t else math.nan for v, t in zip(own, totals[key], strict=True)]
        base = bases.setdefault(key, [0.0] * len(grid))
        top = [b + (0 if math.isnan(v) else v) for b, v in zip(base, own, strict=True)]
        out[f.index] = (base, [t if not math.isnan(v) else math.nan for t, v in zip(top, own, strict=True)])
        bases[key] = top
    return out


def _style(field: Field) -> dict:
    custom = field.custom
    style = {"color": field.colour, "linewidth": custom.get("lineWidth", 1) or 1}
    line = custom.get("lineStyle") or {}
    if line.get("fill", "solid") != "solid":
        style["dashes"] = [max(d, 0.1) * _PT_PER_PX for d in (line.get("dash") or [10, 10])]
    return style


def _twin(main):
    ax = main.twinx()
    ax.patch.set_alpha(0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.tick_params(colors=AXIS_TEXT, labelsize=7, length=0, pad=3)
    return ax


def _thresholds(ax, panel: dict) -> None:
    """Dashed (or solid) lines at the threshold steps, on the first axis."""
    config = defaults(panel)
    style = (config.get("custom") or {}).get("thresholdsStyle", {}).get("mode", "off")
    if style not in ("dashed", "line", "dashed+area", "line+area"):
        return
    ylim = ax.get_ylim()
    for step in steps_of(config):
        if step.get("value") is not None:
            ax.axhline(step["value"], color=colour(step["color"]), linewidth=1,
                       linestyle="--" if style.startswith("dashed") else "-", alpha=0.9)
    ax.set_ylim(ylim)


def _legend(canvas: Canvas, data: PanelData, inner: Box, fields: list[Field], right: frozenset) -> Box:
    """Draw the table legend under the plot; returns the box left for the plot."""
    options = data.panel.get("options", {}).get("legend", {})
    if not options.get("showLegend", True) or options.get("displayMode", "list") == "hidden":
        return inner
    calcs = list(options.get("calcs", []))
    items = legend.rows(fields, calcs, right)
    if not items:
        return inner
    items = legend.ordered(items, calcs, options.get("sortBy"), bool(options.get("sortDesc")))
    items = legend.limited(items, max(int(inner.height * 0.45 / legend.ROW_PX) - 1, 1))
    height = legend.ROW_PX * (len(items) + 1) + 2
    plot = Box(inner.left, inner.top, inner.width, inner.height - height)
    legend.draw(canvas, Box(inner.left, plot.bottom + 2, inner.width, height), items,
                [CALC_TITLES.get(c, c) for c in calcs])
    return plot


def draw_timeseries(canvas: Canvas, data: PanelData, box: Box) -> None:
    fields = [f for f in data.fields if f.series.values]
    grid = step_grid(data.step, data.start, data.end)
    groups = scales(fields)
    right = frozenset(f.index for s in groups if s.side == "right" for f in s.fields)
    plot = _legend(canvas, data, content_box(box), fields, right)
    axes_box = Box(plot.left, plot.top + 2, plot.width, plot.height - 18)
    main = canvas.axes(axes_box)
    time_axis(main, data.start, data.end)
    edges = stacked(fields, grid)
    axes = {}
    for i, scale in enumerate(groups or [Scale((), "left")]):
        ax = axes[scale.key] = main if i == 0 else _twin(main)
        for f in scale.fields:
            if f.hidden("viz"):
                continue
            lower, upper = edges[f.index]
            style = _style(f)
            ax.plot(grid, upper, **style)
            alpha = (f.custom.get("fillOpacity") or 0) / 100
            if alpha:
                ax.fill_between(grid, lower, upper, color=style["color"], alpha=alpha, linewidth=0)
        lo, hi = scale.limits if scale.fields else (None, None)
        if lo is not None or hi is not None:
            ax.set_ylim(bottom=lo, top=hi)
        elif not scale.fields:
            ax.set_ylim(0, 1)
    _thresholds(main, data.panel)
    widths = {"left": [], "right": [], "hidden": []}
    for i, scale in enumerate(groups or [Scale((), "left")]):
        unit, decimals = (scale.unit, scale.decimals) if scale.fields else (None, None)
        widths[scale.side].append(value_axis(axes[scale.key], axes_box.height, unit, decimals,
                                             side=scale.side, grid=i == 0))
    _place(canvas, axes, groups, widths, axes_box)


def _place(canvas: Canvas, axes: dict, groups: list[Scale], widths: dict, box: Box) -> None:
    """Every axis over the same plot area, which starts after the left axes' labels and
    ends before the right ones'; further axes on a side stand outside the first."""
    left = min(sum(widths["left"]), box.width * 0.4)
    right = min(sum(widths["right"]), box.width * 0.4)
    area = Box(box.left + left, box.top, box.width - left - right - 4, box.height)
    for ax in axes.values():
        ax.set_position(canvas.fraction(area))
    offsets = {"left": 0.0, "right": 0.0}
    seen = {"left": 0, "right": 0}
    for scale in groups:
        if scale.side not in offsets:
            continue
        ax, n = axes[scale.key], seen[scale.side]
        if n:
            ax.spines[scale.side].set_position(("outward", offsets[scale.side] * 72 / 100))
        offsets[scale.side] += widths[scale.side][n]
        seen[scale.side] += 1
