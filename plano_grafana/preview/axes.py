"""The axes of a time series panel: the time axis, and value axes labelled as Grafana labels them.

A value axis writes its ticks in its unit with the decimals of the tick increment
(Grafana's ``guessDecimals``) unless the field sets ``decimals``; its width is that of its
widest label, so the plot starts where Grafana's would. A panel has one value axis per
scale: a second unit (an override) gets its own axis, on the right when the left is
taken (:mod:`.timeseries`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator

from plano_grafana.preview.canvas import GRID
from plano_grafana.preview.fields import display
from plano_grafana.preview.query import Series


def guess_decimals(increment: float) -> int:
    """Grafana's axis: decimals of the tick increment (``guessDecimals``)."""
    text = repr(round(float(increment), 6))
    return 0 if "e" in text or "." not in text or text.endswith(".0") else len(text.split(".")[1])


def step_grid(step: float, start: float, end: float) -> list[float]:
    """The query's step timestamps over the window (``query_range`` aligns to the step)."""
    first = math.floor(start / step) * step
    count = int((end - first) / step) + 1
    return [first + i * step for i in range(max(count, 1))]


def aligned(series: Series, grid: Sequence[float]) -> list[float]:
    """Values on the step grid; a missing step is a gap (``spanNulls: false``)."""
    by_time = {round(t, 3): v for t, v in zip(series.times, series.values, strict=True)}
    return [by_time.get(round(t, 3), math.nan) for t in grid]


def time_axis(ax, start: float, end: float) -> None:
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


def value_axis(ax, height: float, unit: str | None, decimals: int | None, *, side: str = "left",
               grid: bool = True) -> float:
    """Label ``ax``'s values on ``side`` (left, right or hidden); returns the pixels its
    labels need beside the plot, 0 for a hidden axis."""
    if side == "hidden":
        ax.yaxis.set_visible(False)
        return 0.0
    ax.yaxis.set_major_locator(MaxNLocator(nbins=max(int(height / 38), 2)))
    formatter = UnitFormatter(unit, decimals)
    ax.yaxis.set_major_formatter(formatter)
    if side == "right":
        ax.yaxis.tick_right()
        ax.yaxis.set_label_position("right")
    if grid:
        ax.grid(True, color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
    lo, hi = sorted(ax.get_ylim())
    ticks = [t for t in ax.get_yticks() if lo - 1e-12 <= t <= hi + 1e-12]
    formatter.set_locs(ticks)
    widest = max((len(formatter(t)) for t in ticks), default=4)
    return widest * 5.4 + 8
