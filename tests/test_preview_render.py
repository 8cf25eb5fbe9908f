"""Drawing each panel kind from synthetic results (no Prometheus): where, what colour, what text.

The end-to-end test (test_preview.py) covers a real Prometheus; here every panel kind
the dashboards use is drawn from known numbers, so its pixels can be predicted: the
stat's background is its threshold colour, the heatmap has cells, the bar gauge's bar
is as long as its share of the maximum, the failed panel is framed in red, and a
collapsed row hides its panels from the grid.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from plano_grafana.preview import canvas as layout
from plano_grafana.preview import render
from plano_grafana.preview.query import Series, TargetResult

END = 1_800_000_000.0
TIMES = tuple(END - 60 + i * 5 for i in range(13))


def _series(name: str, values, labels=None) -> Series:
    values = tuple(float(v) for v in values)
    return Series(name, labels or {}, TIMES[-len(values):], values)


def _panel(kind: str, x: int, y: int, w: int, h: int, **extra) -> dict:
    return {"type": kind, "title": f"{kind} panel", "gridPos": {"x": x, "y": y, "w": w, "h": h}, **extra}


def _draw(panels: list[tuple[dict, list[TargetResult]]], rows: list[dict] = ()) -> Image.Image:
    dashboard = {"title": "Synthetic", "panels": [*rows, *(p for p, _ in panels)]}
    data = [render.PanelData(p, results, start=END - 60, end=END, step=5) for p, results in panels]
    return Image.open(io.BytesIO(render.render(dashboard, data))).convert("RGB")


def _pixels(image: Image.Image, box: layout.Box, colour: str, tolerance: int = 8) -> int:
    crop = np.asarray(image.crop((int(box.left), int(box.top), int(box.right), int(box.bottom))), dtype=int)
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(crop - rgb) <= tolerance).all(axis=2).sum())


def test_stat_background_takes_the_threshold_colour():
    steps = [{"color": "green", "value": None}, {"color": "red", "value": 100}]
    hot = _panel("stat", 0, 0, 6, 4,
                 options={"colorMode": "background", "reduceOptions": {"calcs": ["lastNotNull"]}},
                 fieldConfig={"defaults": {"unit": "ms", "thresholds": {"steps": steps}}})
    cool = _panel("stat", 6, 0, 6, 4, options={"colorMode": "background"},
                  fieldConfig={"defaults": {"unit": "ms", "thresholds": {"steps": steps}}})
    image = _draw([(hot, [TargetResult("A", "x", (_series("v", [50, 250]),))]),
                   (cool, [TargetResult("A", "x", (_series("v", [250, 50]),))])])
    hot_box, cool_box = layout.panel_box(hot["gridPos"]), layout.panel_box(cool["gridPos"])
    assert _pixels(image, hot_box, layout.NAMED["red"]) > hot_box.width * hot_box.height * 0.5
    assert _pixels(image, cool_box, layout.NAMED["green"]) > cool_box.width * cool_box.height * 0.5
    assert render.stat_fill(render.PanelData(hot, [TargetResult("A", "x", (_series("v", [250]),))])) \
        == layout.NAMED["red"]


def test_heatmap_draws_bucket_cells():
    panel = _panel("heatmap", 0, 0, 12, 8, options={"color": {"scale": "exponential", "exponent": 0.5}},
                   fieldConfig={"defaults": {"unit": "ms"}})
    buckets = tuple(_series(le, [v] * 13, {"le": le}) for le, v in (("100", 5), ("1000", 20), ("+Inf", 1)))
    image = _draw([(panel, [TargetResult("A", "x", buckets)])])
    inner = layout.content_box(layout.panel_box(panel["gridPos"]))
    colours = np.asarray(image.crop((int(inner.left), int(inner.top), int(inner.right), int(inner.bottom))))
    orange = ((colours[..., 0] > 150) & (colours[..., 2] < 120)).sum()
    assert orange > inner.width * inner.height * 0.1


@pytest.mark.parametrize("share", [0.25, 1.0])
def test_bar_gauge_bar_length_is_its_share_of_the_largest(share):
    panel = _panel("bargauge", 0, 0, 12, 4, options={"orientation": "horizontal"},
                   fieldConfig={"defaults": {"unit": "short", "min": 0,
                                             "color": {"mode": "palette-classic"}}})
    series = (_series("big", [100]), _series("small", [100 * share]))
    image = _draw([(panel, [TargetResult("A", "x", series)])])
    inner = layout.content_box(layout.panel_box(panel["gridPos"]))
    first = _pixels(image, inner, layout.PALETTE[0], 2)
    second = _pixels(image, inner, layout.PALETTE[1], 2)
    assert second == pytest.approx(first * share, rel=0.1)


def test_failed_panel_is_framed_in_red_and_others_still_draw():
    broken = _panel("timeseries", 0, 0, 12, 6)
    fine = _panel("timeseries", 12, 0, 12, 6)
    image = _draw([(broken, [TargetResult("A", "x", error="1:5: parse error: unexpected end of input")]),
                   (fine, [TargetResult("A", "x", (_series("s", range(13)),))])])
    box = layout.panel_box(broken["gridPos"])
    assert _pixels(image, layout.Box(box.left, box.top, box.width, 2), layout.ERROR, 40) > box.width / 2
    assert _pixels(image, layout.content_box(layout.panel_box(fine["gridPos"])), layout.PALETTE[0], 10) > 50


def test_collapsed_row_hides_its_panels_from_the_grid():
    hidden = [_panel("timeseries", 0, 2, 24, 30)]
    rows = [{"type": "row", "title": "Open", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 1}, "panels": []},
            {"type": "row", "title": "Closed", "collapsed": True, "panels": hidden,
             "gridPos": {"x": 0, "y": 5, "w": 24, "h": 1}}]
    table = _panel("table", 0, 1, 24, 4)
    image = _draw([(table, [TargetResult("A", "x", (_series("v", [3], {"code": "200"}),))])], rows)
    assert image.size == (layout.WIDTH, layout.HEADER + 2 * layout.MARGIN + 6 * layout.ROW_PX)
    assert render.row_label(rows[1]) == "▸ Closed  (1 panels)"
    assert render.row_label(rows[0]) == "▾ Open"


def test_thresholds_pick_the_highest_step_reached():
    steps = [{"color": "green", "value": None}, {"color": "yellow", "value": 1}, {"color": "red", "value": 3}]
    assert [render.threshold_colour(steps, v) for v in (0.5, 1, 2.9, 3, 10)] == [
        layout.NAMED[c] for c in ("green", "yellow", "yellow", "red", "red")]


def test_a_panel_that_cannot_be_drawn_is_drawn_as_failed(monkeypatch):
    def boom(*_):
        raise ValueError("odd data")
    monkeypatch.setitem(render.DRAW, "table", boom)
    table, fine = _panel("table", 0, 0, 12, 4), _panel("timeseries", 12, 0, 12, 4)
    data = [render.PanelData(table, [TargetResult("A", "x", (_series("v", [1]),))], start=END - 60, end=END),
            render.PanelData(fine, [TargetResult("A", "x", (_series("s", range(13)),))], start=END - 60,
                             end=END, step=5)]
    image = Image.open(io.BytesIO(render.render({"panels": [table, fine]}, data))).convert("RGB")
    assert data[0].errors == ["preview could not draw this panel: ValueError: odd data"]
    box = layout.panel_box(table["gridPos"])
    assert _pixels(image, layout.Box(box.left, box.top, box.width, 2), layout.ERROR, 40) > box.width / 2
    assert _pixels(image, layout.content_box(layout.panel_box(fine["gridPos"])), layout.PALETTE[0], 10) > 30
