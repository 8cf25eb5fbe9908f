"""Field overrides in the preview, as Grafana applies them (no Prometheus; synthetic series).

The rules come from Grafana's source: matchers from
``packages/grafana-data/src/transformations/matchers/nameMatcher.ts``, property setting
from ``setDynamicConfigValue`` in ``packages/grafana-data/src/field/fieldOverrides.ts``,
axes from ``UPlotConfigBuilder.addAxis`` and ``buildScaleKey``, stacking groups from
``getStackingGroups``, legend order from ``VizLegendTable.tsx``. The drawn panels are
checked through the matplotlib figure (axes, tick labels, lines), not through pixels.
"""

from __future__ import annotations

import math

import pytest

from plano_grafana.preview import legend, render
from plano_grafana.preview.canvas import NAMED, PALETTE, Canvas
from plano_grafana.preview.overrides import field_config, matches, set_property
from plano_grafana.preview.query import Series, TargetResult

END = 1_800_000_000.0           # a multiple of the step, as query_range aligns
STEP = 15.0
TIMES = tuple(END - 600 + i * STEP for i in range(41))


def _series(name: str, values) -> Series:
    return Series(name, {}, TIMES, tuple(float(v) for v in values))


def _wave(base: float, amplitude: float, phase: float = 0) -> list[float]:
    return [base + amplitude * math.sin(i / 5 + phase) for i in range(len(TIMES))]


def _panel(overrides: list[dict], *, legend_options: dict | None = None, **defaults) -> dict:
    custom = {"stacking": {"group": "A", "mode": "normal"}, "fillOpacity": 20, "lineWidth": 1}
    return {
        "type": "timeseries", "title": "spend", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
        "fieldConfig": {"defaults": {"unit": "currencyUSD", "color": {"mode": "palette-classic"},
                                     "custom": custom, **defaults},
                        "overrides": overrides},
        "options": {"legend": {"calcs": ["mean", "lastNotNull", "max"], "displayMode": "table",
                               "placement": "bottom", **(legend_options or {})}},
    }


#: The spend panel's override (build/dashboards/spend.py): query B is tokens/s, right axis,
#: unstacked, red and dashed.
UNPRICED = {"matcher": {"id": "byFrameRefID", "options": "B"}, "properties": [
    {"id": "unit", "value": "count:tok/s"},
    {"id": "custom.axisPlacement", "value": "right"},
    {"id": "custom.stacking", "value": {"group": "A", "mode": "none"}},
    {"id": "custom.lineStyle", "value": {"dash": [10, 10], "fill": "dash"}},
    {"id": "color", "value": {"fixedColor": "red", "mode": "fixed"}},
]}


def _spend_results() -> list[TargetResult]:
    return [TargetResult("A", "usd", (_series("openai/gpt-4o", _wave(300, 50)),
                                      _series("gemini/flash", _wave(40, 5, 1)))),
            TargetResult("B", "tok", (_series("anthropic/claude unpriced", _wave(40000, 9000)),))]


def _draw(panel: dict, results: list[TargetResult]) -> Canvas:
    canvas = render.draw({"panels": [panel]}, [render.PanelData(panel, results, start=END - 600, end=END,
                                                                step=STEP)])
    canvas.figure.canvas.draw()  # tick labels are formatted at draw time
    return canvas


def _value_axes(canvas: Canvas) -> dict[str, list[str]]:
    """Tick label texts of every value axis in the figure, by the side they are drawn on."""
    out: dict[str, list[str]] = {}
    for ax in canvas.figure.axes:
        if ax in (canvas.under, canvas.overlay) or not ax.yaxis.get_visible():
            continue
        side = ax.yaxis.get_ticks_position()
        lo, hi = sorted(ax.get_ylim())
        labels = [t.get_text() for t in ax.get_yticklabels()
                  if t.get_text() and lo - 1e-9 <= t.get_position()[1] <= hi + 1e-9]  # drawn ones
        if labels:
            out[side] = labels
    return out


def _lines(canvas: Canvas) -> list:
    return [line for ax in canvas.figure.axes if ax not in (canvas.under, canvas.overlay)
            for line in ax.get_lines()]


# ---------------------------------------------------------------- matchers and properties

@pytest.mark.parametrize(("matcher", "ref_id", "name", "expected"), [
    ({"id": "byFrameRefID", "options": "B"}, "B", "x", True),
    ({"id": "byFrameRefID", "options": "B"}, "BB", "x", False),
    ({"id": "byName", "options": "openai/gpt-4o"}, "A", "openai/gpt-4o", True),
    ({"id": "byName", "options": "openai"}, "A", "openai/gpt-4o", False),
    ({"id": "byNames", "options": {"names": ["a", "b"]}}, "A", "b", True),
    ({"id": "byNames", "options": {"names": ["a", "b"], "mode": "exclude"}}, "A", "b", False),
    ({"id": "byNames", "options": {"names": ["a", "b"], "mode": "exclude"}}, "A", "c", True),
    # stringToJsRegex: /re/ searches anywhere, a bare pattern is anchored ^…$
    ({"id": "byRegexp", "options": "/unpriced/"}, "A", "ollama/llama3.1 unpriced", True),
    ({"id": "byRegexp", "options": "unpriced"}, "A", "ollama/llama3.1 unpriced", False),
    ({"id": "byRegexp", "options": ".*unpriced"}, "A", "ollama/llama3.1 unpriced", True),
    ({"id": "byRegexp", "options": "/OPENAI/i"}, "A", "openai/gpt-4o", True),
    ({"id": "byRegexp", "options": "/(/"}, "A", "x", False),
    ({"id": "byType", "options": "number"}, "A", "x", True),
    ({"id": "byType", "options": "time"}, "A", "x", False),
    ({"id": "byValue", "options": {}}, "A", "x", False),
])
def test_matchers(matcher, ref_id, name, expected):
    assert matches(matcher, ref_id, name) is expected


def test_properties_set_custom_paths_remove_nulls_and_later_rules_win():
    config = {"defaults": {"unit": "s", "min": 0, "custom": {"axisPlacement": "auto", "lineWidth": 1}},
              "overrides": [
                  {"matcher": {"id": "byFrameRefID", "options": "A"},
                   "properties": [{"id": "custom.axisPlacement", "value": "right"},
                                  {"id": "min", "value": None}, {"id": "max", "value": "ten"},
                                  {"id": "decimals", "value": "2"}, {"id": "unit", "value": "ms"}]},
                  {"matcher": {"id": "byName", "options": "p99"},
                   "properties": [{"id": "unit", "value": "µs"}, {"id": "custom.hideFrom",
                                                                  "value": {"legend": True}}]}]}
    p99 = field_config(config, "A", "p99")
    assert p99["unit"] == "µs" and p99["decimals"] == 2.0 and "min" not in p99 and "max" not in p99
    assert p99["custom"] == {"axisPlacement": "right", "lineWidth": 1, "hideFrom": {"legend": True}}
    assert field_config(config, "B", "p99")["custom"] == {"axisPlacement": "auto", "lineWidth": 1,
                                                          "hideFrom": {"legend": True}}
    assert field_config(config, "B", "p50") == config["defaults"]
    assert config["defaults"]["custom"] == {"axisPlacement": "auto", "lineWidth": 1}  # not mutated
    untouched: dict = {}
    set_property(untouched, {"id": "custom.stacking", "value": None})
    assert untouched == {}


# ---------------------------------------------------------------- the drawn panel

def test_right_axis_override_draws_usd_left_and_tokens_right():
    """The spend panel: dollars stacked on the left, unpriced tok/s on a right axis."""
    canvas = _draw(_panel([UNPRICED]), _spend_results())
    axes = _value_axes(canvas)
    assert set(axes) == {"left", "right"}
    assert all(label.startswith("$") for label in axes["left"]), axes
    assert all(label.endswith("tok/s") for label in axes["right"]), axes
    assert any("K tok/s" in label for label in axes["right"])       # 40 000 tok/s, not "$42.4K"
    assert max(float(t.lstrip("$").replace(",", "")) for t in axes["left"]) < 1000
    lines = {tuple(line.get_ydata()[:1]): line for line in _lines(canvas)}
    tokens = next(line for line in lines.values() if line.get_color() == NAMED["red"])
    assert tokens.get_linestyle() == "--"                           # lineStyle: dash
    assert tokens.get_ydata()[0] == pytest.approx(40000)            # not stacked on the dollars
    gpt, flash = (next(line for line in lines.values() if line.get_color() == PALETTE[i]) for i in (0, 1))
    assert flash.get_ydata()[0] == pytest.approx(gpt.get_ydata()[0] + _wave(40, 5, 1)[0])  # stacked


def test_without_the_override_everything_shares_the_dollar_axis():
    """What the preview drew before: token rates stacked on the USD axis."""
    canvas = _draw(_panel([]), _spend_results())
    axes = _value_axes(canvas)
    assert set(axes) == {"left"} and any("K" in label for label in axes["left"])


def test_auto_placement_puts_a_second_unit_on_the_right_and_min_max_decimals_apply():
    override = {"matcher": {"id": "byRegexp", "options": "/ratio/"},
                "properties": [{"id": "unit", "value": "percentunit"}, {"id": "min", "value": 0},
                               {"id": "max", "value": 1}, {"id": "decimals", "value": 1},
                               {"id": "custom.lineWidth", "value": 3},
                               {"id": "custom.fillOpacity", "value": 0}]}
    results = [TargetResult("A", "latency", (_series("p99", _wave(20, 5)),
                                         _series("error ratio", _wave(0.2, 0.05))))]
    panel = _panel([override])
    panel["fieldConfig"]["defaults"]["unit"] = "s"
    canvas = _draw(panel, results)
    axes = _value_axes(canvas)
    assert all(label.endswith(" s") for label in axes["left"]), axes
    assert axes["right"] and all(label.endswith("%") and "." in label for label in axes["right"])
    right = next(ax for ax in canvas.figure.axes if ax not in (canvas.under, canvas.overlay)
                 and ax.yaxis.get_ticks_position() == "right")
    assert right.get_ylim() == (0, 1)
    assert [line.get_linewidth() for line in right.get_lines()] == [3]
    assert not right.collections                                     # fillOpacity 0: no fill
    left = next(ax for ax in canvas.figure.axes if ax not in (canvas.under, canvas.overlay)
                and ax.yaxis.get_ticks_position() == "left")
    assert [line.get_linewidth() for line in left.get_lines()] == [1] and left.collections  # defaults


def test_hide_from_viz_and_legend():
    hide = {"matcher": {"id": "byName", "options": "gemini/flash"},
            "properties": [{"id": "custom.hideFrom",
                            "value": {"viz": True, "legend": True, "tooltip": True}}]}
    canvas = _draw(_panel([hide]), _spend_results()[:1])
    assert [line.get_color() for line in _lines(canvas)] == [PALETTE[0]]
    texts = [t.get_text() for t in canvas.overlay.texts]
    assert "openai/gpt-4o" in texts and "gemini/flash" not in texts


# ---------------------------------------------------------------- the legend's order

def _legend_names(canvas: Canvas, names: set[str]) -> list[str]:
    found = [(t.get_position()[1], t.get_text()) for t in canvas.overlay.texts]
    return [text for _, text in sorted(found) if text in names or text.startswith("…")]


def test_legend_sorted_by_max_descending_shows_the_moving_series_first():
    """Five flat series and two that move: sorted by Max, the movers head the legend,
    and the cut-off "… N more series" hides flat ones, not them."""
    flat = [_series(f"cluster-{i} connect_fail", [0] * len(TIMES)) for i in range(12)]
    moving = [_series("anthropic rx_reset", _wave(3, 2)), _series("openai rx_reset", _wave(1, 0.5))]
    results = [TargetResult("A", "x", (*flat, *moving))]
    names = {s.name for s in (*flat, *moving)}
    unsorted = _legend_names(_draw(_panel([]), results), names)
    assert "anthropic rx_reset" not in unsorted and unsorted[-1].startswith("…")
    ordered = _legend_names(_draw(_panel([], legend_options={"sortBy": "Max", "sortDesc": True}), results),
                            names)
    assert ordered[:2] == ["anthropic rx_reset", "openai rx_reset"] and ordered[-1].startswith("…")


def test_legend_sort_rules():
    rows = [legend.Row("", name, (), (value,)) for name, value in
            [("b10", 1.0), ("b9", None), ("B2", 5.0), ("a", math.nan)]]
    by = [r.name for r in legend.ordered(rows, ["max"], "Max", True)]
    assert by == ["B2", "b10", "b9", "a"]                    # missing values count as -inf, stable
    assert [r.name for r in legend.ordered(rows, ["max"], "Max", False)] == ["b9", "a", "b10", "B2"]
    assert [r.name for r in legend.ordered(rows, ["max"], "Name", False)] == ["a", "B2", "b9", "b10"]
    assert legend.ordered(rows, ["max"], "Mean", True) == rows  # not a column: unsorted
    assert [r.name for r in legend.limited(rows, 3)] == ["b10", "b9", "… 2 more series"]
