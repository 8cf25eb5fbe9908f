"""Render compiled dashboards to PNG from a real Prometheus, without Grafana or a browser.

:func:`preview` is what ``plano-grafana preview`` and ``make preview`` run: check that
Prometheus answers (nothing is drawn otherwise), resolve each dashboard's variables,
run every target as Grafana would (:mod:`.query`), draw (:mod:`.render`), and write
``<uid>.png`` plus ``previews.json`` (:mod:`.gallery`). A panel whose query fails is
drawn as failed and counted; the other panels still render.

matplotlib is an optional dependency (``pip install plano-grafana[preview]``); it is
imported only here, when a preview is asked for.

May import: ``plano_grafana.model``, ``plano_grafana.build`` (variables, durations of the
compiled JSON), ``plano_grafana.errors``, matplotlib. Never lint, deploy, doctor or
simulate: doctor reuses the query engine here, not the other way round.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attr

from plano_grafana.build.outputs import write_bytes
from plano_grafana.errors import PlanoGrafanaError
from plano_grafana.model import durations
from plano_grafana.preview import gallery
from plano_grafana.preview.query import Prometheus, intervals, resolve_variables, run_target


@attr.s(frozen=True)
class Summary:
    """One rendered dashboard: the line the CLI prints, and what the bench measures."""

    uid: str = attr.ib()
    path: Path = attr.ib()
    size: tuple = attr.ib()
    panels: int = attr.ib()
    no_data: tuple = attr.ib()      # panel titles
    failed: tuple = attr.ib()       # "title: error" lines
    query_seconds: float = attr.ib()
    draw_seconds: float = attr.ib()

    def line(self) -> str:
        kib = self.path.stat().st_size / 1024 if self.path.exists() else 0
        return (f"{self.path}  {self.size[0]}x{self.size[1]} px, {kib:.0f} KiB  {self.panels} panels, "
                f"{len(self.no_data)} with no data, {len(self.failed)} failed  "
                f"({self.query_seconds + self.draw_seconds:.1f} s)")


def _import_render():
    try:
        from plano_grafana.preview import render
    except ImportError as exc:  # matplotlib is the optional extra
        raise PlanoGrafanaError("preview needs matplotlib: pip install 'plano-grafana[preview]'") from exc
    return render


def select(dashboards: Iterable[dict], uids: Iterable[str] = ()) -> list[dict]:
    """The dashboards ``--dashboard`` asks for (all when none), in uid order; an unknown uid
    is an error naming it. ``preview`` and ``doctor`` select alike."""
    by_uid = {d.get("uid", ""): d for d in dashboards}
    wanted = list(uids) or sorted(by_uid)
    unknown = [u for u in wanted if u not in by_uid]
    if unknown:
        raise PlanoGrafanaError(f"--dashboard: no dashboard with uid {', '.join(map(repr, unknown))} "
                                f"(known: {', '.join(sorted(by_uid))})")
    return [by_uid[u] for u in wanted]


def _data_panels(dashboard: dict) -> list[dict]:
    return [p for p in dashboard.get("panels", []) if p.get("type") != "row"]


def query_dashboard(prom: Prometheus, dashboard: dict, end: float, range_seconds: float,
                    scrape_seconds: float, pool: ThreadPoolExecutor) -> list:
    """Every panel's data (a list of ``render.PanelData``), queries run concurrently."""
    render = _import_render()
    start = end - range_seconds
    variables = resolve_variables(prom, dashboard, start, end)
    jobs = []
    for panel in _data_panels(dashboard):
        box = render.panel_box(panel.get("gridPos", {}))
        spans = intervals(range_seconds, int(box.width), scrape_seconds)
        data = render.PanelData(panel, start=start, end=end, step=spans.step)
        futures = [pool.submit(run_target, prom, t, variables, spans, end)
                   for t in panel.get("targets", []) if t.get("expr")]
        jobs.append((data, futures))
    out = []
    for data, futures in jobs:
        data.results = [f.result() for f in futures]
        out.append(data)
    return out


def compact_png(png: bytes) -> bytes:
    """256 colours and zlib's best: a dark dashboard loses nothing visible, a third of the bytes."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    small.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def preview(dashboards: Iterable[dict], prometheus_url: str, out_dir: Path, *, range_seconds: float = 3600,
            scrape_seconds: float = 15, uids: Iterable[str] = (), end: float | None = None,
            workers: int = 4, on_done=None) -> list[Summary]:
    """Render the selected dashboards to ``out_dir``; returns one :class:`Summary` each.

    Raises :class:`~plano_grafana.preview.query.PrometheusUnreachable` before drawing
    anything when Prometheus does not answer.
    """
    render = _import_render()
    chosen = select(dashboards, uids)
    prom = Prometheus(prometheus_url)
    prom.check()
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = gallery.read_manifest(out_dir)
    summaries = []
    end = time.time() if end is None else end
    label = f"last {durations.text(range_seconds)} (UTC) · variables: saved selection, else All"
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for dashboard in chosen:
            began = time.perf_counter()
            panels = query_dashboard(prom, dashboard, end, range_seconds, scrape_seconds, pool)
            queried = time.perf_counter()
            png = compact_png(render.render(dashboard, panels, subtitle=label))
            path = out_dir / f"{dashboard['uid']}.png"
            write_bytes(path, png)
            manifest[dashboard["uid"]] = {"file": path.name, "fingerprint": gallery.fingerprint(dashboard)}
            summary = Summary(
                dashboard["uid"], path, render.image_size(dashboard), len(panels),
                tuple(d.panel.get("title", "") for d in panels if d.empty),
                tuple(f"{d.panel.get('title', '')}: {'; '.join(d.errors)}" for d in panels if d.errors),
                queried - began, time.perf_counter() - queried)
            summaries.append(summary)
            if on_done:
                on_done(summary)
    write_bytes(out_dir / gallery.MANIFEST, gallery.manifest_text(manifest).encode())
    if summaries and all(len(s.no_data) == s.panels and not s.failed for s in summaries):
        raise NoSamples(f"every panel is empty: the last {durations.text(range_seconds)} at "
                        f"{prometheus_url} holds no samples yet (has Prometheus scraped Plano "
                        "for a few intervals? a longer --range may help)")
    return summaries


class NoSamples(PlanoGrafanaError):
    """Prometheus answered, but no panel of any dashboard found a sample in the range:
    the preview was taken before data exists, and its images show only "No data"."""
