"""Grafana's table legend under a time series: which series it lists, in what order, how many.

As ``PlotLegend`` builds it (packages/grafana-ui/src/components/uPlot/PlotLegend.tsx): one
row per series not hidden with ``custom.hideFrom.legend``, its values the legend's
``calcs`` in the series' own unit and decimals, and, when the series sit on more than one
axis, ``(right y-axis)`` after the name of a series on the right
(VizLegendTableItem.tsx). ``VizLegendTable.tsx`` then sorts by ``sortBy`` (a calculation's
title such as ``Max``, or ``Name``; a missing value counts as -∞; names compare
naturally, numbers as numbers, case ignored) descending when ``sortDesc``, and shows the
first rows only: Grafana's ``limit``, here the rows that fit the panel, then "… N more
series". So a busy panel shows the series that move, as Grafana does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import attr

from plano_grafana.preview.canvas import AXIS_TEXT, Box, Canvas, fit
from plano_grafana.preview.fields import CALC_TITLES, Field, display, reduce

ROW_PX = 15


@attr.s(frozen=True)
class Row:
    """One legend row: the colour mark, the name, and each calculation's text and number."""

    colour: str = attr.ib()
    name: str = attr.ib()
    texts: tuple = attr.ib()
    numbers: tuple = attr.ib()


def rows(fields: Sequence[Field], calcs: Sequence[str], right: frozenset = frozenset()) -> list[Row]:
    """The legend's rows in series order; ``right`` holds the indexes of series drawn on the
    right axis (they are marked only when some series are on the left)."""
    shown = [f for f in fields if not f.hidden("legend")]
    mixed = bool(right) and any(f.index not in right for f in shown)
    out = []
    for f in shown:
        numbers = tuple(reduce(f.series.values, c) for c in calcs)
        texts = tuple("-" if n is None else display(n, f.unit, f.decimals) for n in numbers)
        name = f"{f.name} (right y-axis)" if mixed and f.index in right else f.name
        out.append(Row(f.colour, name, texts, numbers))
    return out


def _natural(text: str) -> list:
    """``Intl.Collator(undefined, {numeric: true, sensitivity: 'base'})`` as a sort key."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
            for part in re.split(r"(\d+)", text) if part]


def ordered(items: list[Row], calcs: Sequence[str], sort_by: str | None, desc: bool) -> list[Row]:
    """Rows in the legend's sort order (stable, as JavaScript's sort is)."""
    if not sort_by:
        return items
    if sort_by == "Name":
        return sorted(items, key=lambda r: _natural(r.name), reverse=desc)
    titles = [CALC_TITLES.get(c, c) for c in calcs]
    if sort_by not in titles:
        return items
    column = titles.index(sort_by)

    def number(row: Row) -> float:
        value = row.numbers[column]
        return -math.inf if value is None or math.isnan(value) else value

    return sorted(items, key=number, reverse=desc)


def limited(items: list[Row], room: int) -> list[Row]:
    """The first rows that fit in ``room`` rows, the last one saying how many are left out."""
    if len(items) <= room:
        return items
    shown = items[: max(room - 1, 1)]
    return [*shown, Row("", f"… {len(items) - len(shown)} more series", (), ())]


def draw(canvas: Canvas, box: Box, items: Sequence[Row], headers: Sequence[str]) -> None:
    """Grafana's table legend: colour, name, one column per calculation."""
    value_w = 62
    name_w = box.width - 14 - value_w * len(headers)
    y = box.top + ROW_PX / 2
    for i, head in enumerate(headers):
        canvas.text(box.left + 14 + name_w + value_w * (i + 1) - 4, y, head, fontsize=7, ha="right",
                    color=AXIS_TEXT, zorder=2)
    for row in items:
        y += ROW_PX
        if row.colour:
            canvas.overlay.plot([box.left + 1, box.left + 10], [y, y], color=row.colour, linewidth=2.5,
                                zorder=2)
        canvas.text(box.left + 14, y, fit(row.name, name_w - 6, 7), fontsize=7, zorder=2)
        for i, value in enumerate(row.texts):
            canvas.text(box.left + 14 + name_w + value_w * (i + 1) - 4, y, value, fontsize=7, ha="right",
                        zorder=2)
