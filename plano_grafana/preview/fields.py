"""A panel's data as Grafana's fields: each series with the config Grafana gives it.

:class:`PanelData` is what a panel's targets returned; :attr:`PanelData.fields` turns each
series into a :class:`Field`, its ``fieldConfig.defaults`` with the panel's overrides
applied (:mod:`.overrides`), so every drawer reads a series' unit, decimals, colour and
axis from one place. Also here: the value text (:func:`display`), colours by name and by
threshold, and the legend's calculations (:func:`reduce`, Grafana's ``fieldReducers``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attr

from plano_grafana.preview.canvas import NAMED, PALETTE
from plano_grafana.preview.overrides import field_config
from plano_grafana.preview.query import Series
from plano_grafana.preview.units import format_value

#: Grafana's titles of the reducers (``fieldReducers`` in
#: packages/grafana-data/src/transformations/fieldReducer.ts): the legend's column heads,
#: and what a legend's ``sortBy`` names.
CALC_TITLES = {"mean": "Mean", "lastNotNull": "Last *", "last": "Last", "max": "Max",
               "min": "Min", "sum": "Total", "first": "First", "firstNotNull": "First *"}


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


def reduce(values: Sequence[float], calc: str) -> float | None:
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return None
    return {"mean": sum(finite) / len(finite), "max": max(finite), "min": min(finite),
            "sum": sum(finite), "first": finite[0], "firstNotNull": finite[0],
            "last": values[-1] if values and not math.isnan(values[-1]) else finite[-1],
            "lastNotNull": finite[-1]}.get(calc, finite[-1])


def defaults(panel: dict) -> dict:
    return panel.get("fieldConfig", {}).get("defaults", {})


def unit_of(panel: dict) -> str | None:
    return defaults(panel).get("unit") or panel.get("format")


def decimals_of(config: dict) -> int | None:
    value = config.get("decimals")
    return int(value) if isinstance(value, (int, float)) else None


def steps_of(config: dict) -> list[dict]:
    return (config.get("thresholds") or {}).get("steps", []) or []


@attr.s(frozen=True)
class Field:
    """One series with its resolved config; ``index`` counts series across the panel's
    queries, as Grafana's ``seriesIndex`` does for the classic palette."""

    series: Series = attr.ib()
    ref_id: str = attr.ib()
    index: int = attr.ib()
    config: dict = attr.ib()

    @property
    def name(self) -> str:
        return self.series.name

    @property
    def unit(self) -> str | None:
        return self.config.get("unit")

    @property
    def decimals(self) -> int | None:
        return decimals_of(self.config)

    @property
    def custom(self) -> dict:
        return self.config.get("custom") or {}

    def hidden(self, where: str) -> bool:
        """``custom.hideFrom.legend``/``tooltip``/``viz``."""
        return bool((self.custom.get("hideFrom") or {}).get(where))

    @property
    def colour(self) -> str:
        """The series colour by ``color.mode`` (``fieldColor.ts``): ``fixed`` takes
        ``fixedColor`` by name, ``thresholds`` the base step, anything else the classic
        palette at the series index."""
        scheme = self.config.get("color") or {}
        mode = scheme.get("mode", "palette-classic")
        if mode == "fixed":
            return colour(scheme.get("fixedColor") or "green")
        if mode == "thresholds":
            return threshold_colour(steps_of(self.config), None)
        return PALETTE[self.index % len(PALETTE)]


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


    @property
    def fields(self) -> list[Field]:
        """Every series as a :class:`Field`, its panel's overrides applied."""
        config = dict(self.panel.get("fieldConfig") or {})
        base = dict(config.get("defaults") or {})
        if not base.get("unit") and self.panel.get("format"):
            base["unit"] = self.panel["format"]  # the legacy graph panel's unit
        config["defaults"] = base
        out = []
        for r in self.results:
            for s in r.series:
                out.append(Field(s, r.ref_id, len(out), field_config(config, r.ref_id, s.name)))
        return out
