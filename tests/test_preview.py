"""``plano-grafana preview`` against the shared real Prometheus scraping the simulator.

A synthetic dashboard (tests/support/preview_dashboard.py) is rendered through the CLI,
and the PNG is read back: the image size follows the grid, every panel's frame is
where its ``gridPos`` says, the line chart has line pixels, the empty panel shows the
"No data" text, the broken query is drawn as failed with exit 0 and a warning count.
"""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from plano_grafana import pipeline
from plano_grafana.cli import main
from plano_grafana.model import config
from plano_grafana.preview import canvas as layout
from plano_grafana.preview.query import Prometheus, resolve_variables
from tests.support import preview_dashboard as fixture

pytestmark = pytest.mark.prometheus
MODULE = "tests.support.preview_dashboard"
LINE_TOLERANCE = 20  # per channel: antialiased line pixels still count (see the line test)
WINDOW = 10  # seconds of scrapes the previews draw (of their 30 s range) and resolve over


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))


def _near(pixel, colour: str, tolerance: int = 6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], _rgb(colour), strict=True))


def _count(image: Image.Image, box: layout.Box, colour: str, tolerance: int = 6) -> int:
    """Pixels of ``colour`` (± tolerance per channel) inside ``box``."""
    crop = np.asarray(image.crop((int(box.left), int(box.top), int(box.right), int(box.bottom))), dtype=int)
    return int((np.abs(crop - np.array(_rgb(colour))) <= tolerance).all(axis=2).sum())


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return next(iter(pipeline.build(config.DEFAULT, [MODULE], defaults=False).values()))


@pytest.fixture(scope="module")
def rendered(plano_stack, tmp_path_factory):
    plano_stack.ready(WINDOW)
    out = tmp_path_factory.mktemp("previews")
    result = CliRunner().invoke(main, ["preview", "--prometheus-url", plano_stack.prom.url, "--out", str(out),
                                       "--range", "30s", "--scrape-interval", "1s", "--no-defaults",
                                       "--module", MODULE])
    return result, out


@pytest.fixture(scope="module")
def image(rendered) -> Image.Image:
    _, out = rendered
    return Image.open(out / f"{fixture.UID}.png").convert("RGB")


def _panel(dashboard: dict, title: str) -> dict:
    return next(p for p in dashboard["panels"] if p["title"] == title)


def test_exit_zero_with_a_summary_line_and_a_warning_for_the_failed_panel(rendered):
    result, out = rendered
    assert result.exit_code == 0, result.output + result.stderr
    assert result.stdout.strip().splitlines() == [
        line for line in result.stdout.strip().splitlines() if fixture.UID in line]
    assert "4 panels, 1 with no data, 1 failed" in result.stdout
    assert "1 panel(s) drawn as failed" in result.stderr
    assert fixture.BROKEN in result.stderr and "parse error" in result.stderr
    manifest = json.loads((out / "previews.json").read_text())
    assert manifest[fixture.UID]["file"] == f"{fixture.UID}.png"


def test_image_size_follows_the_grid(image, dashboard):
    lowest = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in dashboard["panels"])
    assert lowest == 13  # a row, an 8-high line and a 4-high line
    assert image.size == (layout.WIDTH, layout.HEADER + 2 * layout.MARGIN + lowest * layout.ROW_PX)
    assert layout.WIDTH == 2 * layout.MARGIN + 24 * layout.COL_PX


def test_each_panel_frame_is_where_grid_pos_says(image, dashboard):
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            continue
        box = layout.panel_box(panel["gridPos"])
        inside_colour = layout.ERROR if panel["title"] == fixture.BROKEN else None
        middle = box.top + box.height / 2
        # inside the frame, just within each edge: the panel's fill (or the failed frame);
        # just outside: the dashboard background, in the gap between panels
        for x_in, x_out in ((box.left + 3, box.left - 3), (box.right - 3, box.right + 3)):
            inside = image.getpixel((int(x_in), int(middle)))
            outside = image.getpixel((int(x_out), int(middle)))
            assert not _near(inside, layout.BACKGROUND, 2), (panel["title"], x_in, inside)
            assert _near(outside, layout.BACKGROUND), (panel["title"], x_out, outside)
        for y_in, y_out in ((box.top + 3, box.top - 3), (box.bottom - 3, box.bottom + 3)):
            x = box.right - 40
            assert not _near(image.getpixel((int(x), int(y_in))), layout.BACKGROUND, 2), panel["title"]
            assert _near(image.getpixel((int(x), int(y_out))), layout.BACKGROUND), panel["title"]
        if inside_colour:
            top_edge = layout.Box(box.left, box.top, box.width, 3)
            assert _count(image, top_edge, inside_colour, 40) > box.width / 2


def test_timeseries_has_line_pixels_inside_its_frame(image, dashboard):
    with_data = layout.content_box(layout.panel_box(_panel(dashboard, fixture.WITH_DATA)["gridPos"]))
    empty = layout.content_box(layout.panel_box(_panel(dashboard, fixture.NO_DATA)["gridPos"]))
    first_series = layout.PALETTE[0]
    # Agg antialiases the 1.4 px line into what lies under it, so on some renders no
    # pixel is within ±10 of the colour (CI saw 0). ±20 per channel keeps the pixels the
    # line mostly covers; every other palette colour and the panel fills are ≥46 away.
    assert _count(image, with_data, first_series, LINE_TOLERANCE) > 100
    assert _count(image, empty, first_series, LINE_TOLERANCE) == 0


def test_panel_without_data_says_no_data(image, dashboard):
    def centre(title: str) -> layout.Box:
        inner = layout.content_box(layout.panel_box(_panel(dashboard, title)["gridPos"]))
        return layout.Box(inner.left + inner.width / 2 - 50, inner.top + inner.height / 2 - 10, 100, 20)
    assert _count(image, centre(fixture.NO_DATA), layout.NO_DATA, 12) > 40
    assert _count(image, centre(fixture.WITH_DATA), layout.NO_DATA, 12) < 5


def test_variables_resolve_like_grafana(plano_stack, compiled):
    """Saved selection kept (the client listener), All elsewhere, the cluster regex applied."""
    llm = compiled["plano-llm-requests.json"]
    at = plano_stack.ready(WINDOW)
    values = resolve_variables(Prometheus(plano_stack.prom.url), llm, at - 30, at)
    assert values["listener"] == r"0\\.0\\.0\\.0_12000"
    assert "openai" in values["cluster"] and "arch_internal" not in values["cluster"]
    assert values["provider"].startswith("(") and "|" in values["provider"]


def test_unreachable_prometheus_is_one_line_and_exit_1_before_drawing(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "previews"
    result = CliRunner().invoke(main, ["preview", "--prometheus-url",
                                       f"http://reader:canary-s3cret@127.0.0.1:{port}", "--out", str(out)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [f"plano-grafana: error: cannot reach Prometheus at http://127.0.0.1:{port}: "
                     "Connection refused"], lines
    assert "canary-s3cret" not in result.output + result.stderr  # credentials never printed
    assert "Traceback" not in result.output and not out.exists()


def test_unknown_dashboard_uid_is_named(plano_stack, tmp_path):
    result = CliRunner().invoke(main, ["preview", "--prometheus-url", plano_stack.prom.url,
                                       "--out", str(tmp_path), "--dashboard", "no-such-uid"])
    assert result.exit_code == 1 and "'no-such-uid'" in result.stderr
    assert not list(tmp_path.iterdir())
