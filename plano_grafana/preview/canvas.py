"""The picture's geometry and drawing surface: Grafana's grid in pixels, its dark theme,
and a matplotlib figure with a pixel-coordinate overlay for frames and text.

Everything here is shared by every panel kind: where a panel's frame goes for its
``gridPos`` (24 columns, :data:`ROW_PX` pixels per grid row), how wide a text is in the
font the Agg canvas draws (so titles and legends are cut with "…" as Grafana cuts them),
and the panel frame with its title, "No data" message and red error text. No display,
no browser: the Agg canvas is used directly, so this runs in CI and in tests.
"""

from __future__ import annotations

import functools
import io
import textwrap

import attr
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.textpath import TextToPath

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



_TEXT_PATH = TextToPath()


@functools.lru_cache(maxsize=4096)
def text_width(text: str, size_pt: float, bold: bool = False) -> float:
    """Width in pixels of ``text`` in the default font, as the Agg canvas will draw it."""
    prop = FontProperties(size=size_pt, weight="bold" if bold else "normal")
    width, _, _ = _TEXT_PATH.get_text_width_height_descent(text, prop, ismath=False)
    return width * DPI / 72


def fit(text: str, width_px: float, size_pt: float, bold: bool = False) -> str:
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



def contrast(background: str) -> str:
    """Dark text on a light fill (a yellow stat), light text on a dark one."""
    r, g, b = (int(background.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return "#181b1f" if 0.299 * r + 0.587 * g + 0.114 * b > 0.6 else "#ffffff"


def draw_frame(canvas: Canvas, panel: dict, box: Box, failed: bool, fill: str = PANEL) -> None:
    canvas.rect(box, facecolor=fill, edgecolor=ERROR if failed else BORDER, linewidth=1.2 if failed else 0.8,
                zorder=0)
    title_colour = TEXT if fill == PANEL else contrast(fill)
    title = panel.get("title", "")
    if failed:
        canvas.rect(Box(box.left, box.top, 18, 18), facecolor=ERROR, zorder=1)
        canvas.text(box.left + 9, box.top + 9, "!", color="white", fontsize=8, ha="center",
                    fontweight="bold", zorder=2)
    canvas.text(box.left + (24 if failed else 8), box.top + 13,
                fit(title, box.width - (32 if failed else 16), 9, bold=True),
                fontsize=9, fontweight="bold", zorder=2, color=title_colour)


def draw_message(canvas: Canvas, box: Box, text: str, colour_: str) -> None:
    inner = content_box(box)
    canvas.text(inner.left + inner.width / 2, inner.top + inner.height / 2, text, color=colour_,
                fontsize=12, ha="center", zorder=2)


def draw_errors(canvas: Canvas, box: Box, errors: list[str]) -> None:
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

