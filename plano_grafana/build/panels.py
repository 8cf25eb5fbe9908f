"""Panel factories: grafanalib panels with the house style every dashboard shares.

A factory takes what differs between panels (title, description, queries, unit,
thresholds) and fills in what must not differ: the ``${datasource}`` reference, the
legend and tooltip style, dashed SLO lines, instant queries for range totals, and
heatmaps that read Prometheus buckets as they are (``calculate: false``). Positions are
left to :func:`layout`, which flows panels into rows 24 columns wide.

Two house rules make busy panels read as Grafana should show them:

- a time series whose query splits by label (a ``{{label}}`` legend: one series per
  provider, model, cluster …) sorts its legend by ``Max``, descending, so the series that
  moved head the legend instead of rows of zeros (Grafana's ``VizLegendTable`` sorts by a
  calculation's title; the fleet prefix alone does not make a panel busy);
- a count over the selected range (an instant stat or pie chart in ``short``) is shown
  whole: ``increase()`` extrapolates (71.7 rate-limited requests), so the unit becomes
  Grafana's ``locale`` with 0 decimals (``72``, ``6,690,412``), not ``short`` with 0 decimals,
  which would round 6.69 Mil to ``7 Mil``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attr
from grafanalib import core as g

from plano_grafana.build.queries import Queries
from plano_grafana.model.catalogue import Metric
from plano_grafana.model.config import Threshold

#: The datasource reference of every panel and target.
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
GRID_WIDTH = 24
_REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: The legend of a busy time series: its calculations, and the one it sorts by (descending).
LEGEND_CALCS = ["mean", "lastNotNull", "max"]
BUSY_SORT = "Max"
#: The unit of a count a panel shows as a number over the selected range.
COUNT_UNIT = "short"


def busy(queries: Sequence[Query]) -> bool:
    """Whether a query yields one series per label value (its legend names a label)."""
    return any("{{" in qq.legend for qq in queries)


def whole_count(unit: str, decimals: int | None, instant: bool) -> tuple[str, int | None]:
    """``(unit, decimals)`` of a panel: a count over the range is shown whole (``locale``, 0)."""
    if instant and unit == COUNT_UNIT and decimals is None:
        return "locale", 0
    return unit, decimals


@attr.s(frozen=True)
class Query:
    """One target: an expression and its legend."""

    expr: str = attr.ib()
    legend: str = attr.ib(default="")


def steps(*pairs: tuple[str, float | None]) -> list[dict]:
    """Threshold steps from ``(colour, value)`` pairs; the first has no value (base)."""
    out = [{"color": pairs[0][0], "value": None}]
    out += [{"color": colour, "value": value} for colour, value in pairs[1:]]
    return out


def slo(yellow: float, red: float) -> list[dict]:
    """Higher is worse: green below ``yellow``, red from ``red``."""
    return steps(("green", None), ("yellow", yellow), ("red", red))


def slo_low(yellow: float, red: float) -> list[dict]:
    """Lower is worse: red below ``red``, yellow below ``yellow``, green above."""
    return steps(("red", None), ("yellow", red), ("green", yellow))


def threshold(t: Threshold, scale: float = 1.0) -> list[dict]:
    """Steps from a config threshold pair; ``scale`` converts the config's seconds to the
    milliseconds a WASM histogram is recorded in."""
    warn, critical = _number(t.warn * scale), _number(t.critical * scale)
    return slo_low(warn, critical) if t.lower_is_worse else slo(warn, critical)


def _number(value: float) -> float | int:
    """``1000`` rather than ``1000.0`` in the JSON, and no binary noise from scaling."""
    value = float(f"{value:.12g}")
    return int(value) if value.is_integer() else value


def _size(w: int, h: int) -> g.GridPos:
    return g.GridPos(h=h, w=w, x=0, y=0)




def quantile_label(value: float) -> str:
    """``p50`` for 0.5, ``p99.9`` for 0.999: the name the linter matches with the query."""
    return f"p{value * 100:g}"




class Panels:
    """The panel factories, bound to a dashboard's :class:`~plano_grafana.build.queries.Queries`.

    Bound because two things a panel holds follow the config: a legend names the fleet
    member when a fleet label is set, and the quantile and heatmap panels build their own
    queries. The pure helpers (``threshold``, ``slo``, ``steps``…) are reachable from here
    too, so a dashboard module needs only ``p = Panels(q)``.
    """

    steps = staticmethod(steps)
    slo = staticmethod(slo)
    slo_low = staticmethod(slo_low)
    threshold = staticmethod(threshold)
    quantile_label = staticmethod(quantile_label)

    def __init__(self, q: Queries):
        self.q = q

    def _legend(self, legend: str, fmt: str) -> str:
        """Prefix legends with the fleet label, so two installations' lines stay apart."""
        label = self.q.fleet
        if not label or fmt == "heatmap":
            return legend
        return f"{{{{{label}}}}} {legend}".rstrip()

    def _targets(self, queries: Sequence[Query], instant: bool = False,
                 fmt: str = "time_series") -> list:
        if len(queries) > len(_REF_IDS):
            raise ValueError("too many queries for one panel")
        return [
            g.Target(expr=qq.expr, legendFormat=self._legend(qq.legend, fmt), refId=_REF_IDS[i],
                     instant=instant, format=fmt, datasource=DATASOURCE, intervalFactor=1)
            for i, qq in enumerate(queries)
        ]

    def stat(self, title: str, description: str, query: Query | str, unit: str, *,
             thresholds: list[dict] | None = None, instant: bool = False, sparkline: bool = False,
             w: int = 4, h: int = 4, decimals: int | None = None) -> g.Stat:
        """A single number; ``instant=True`` for totals over ``$__range``."""
        query = query if isinstance(query, Query) else Query(query)
        unit, decimals = whole_count(unit, decimals, instant)
        return g.Stat(
            title=title, description=description, dataSource=DATASOURCE,
            targets=self._targets([query], instant=instant), format=unit, decimals=decimals,
            thresholds=thresholds or steps(("blue", None)), colorMode="background" if thresholds else "value",
            graphMode="area" if sparkline else "none", reduceCalc="lastNotNull",
            gridPos=_size(w, h), noValue="0" if instant else "No data",
            extraJson={"fieldConfig": {"defaults": {"color": {"mode": "thresholds"}}}},
        )

    def timeseries(self, title: str, description: str, queries: Sequence[Query], unit: str, *,
                   thresholds: list[dict] | None = None, stack: bool = False, w: int = 12,
                   h: int = 8, ratio: bool = False) -> g.TimeSeries:
        """A time series; ``thresholds`` are drawn as dashed SLO lines."""
        return g.TimeSeries(
            title=title, description=description, dataSource=DATASOURCE,
            targets=self._targets(queries), unit=unit,
            legendDisplayMode="table", legendPlacement="bottom",
            legendCalcs=list(LEGEND_CALCS), tooltipMode="multi", tooltipSort="desc",
            thresholds=thresholds or steps(("green", None)),
            thresholdsStyleMode="dashed" if thresholds else "off",
            stacking={"mode": "normal", "group": "A"} if stack else {"mode": "none", "group": "A"},
            fillOpacity=20 if stack else 10, showPoints="never", spanNulls=False,
            valueMin=0 if ratio else None,  # no max: a 2 % error ratio on a 0–100 % axis is a flat line
            gridPos=_size(w, h),
            extraJson=({"options": {"legend": {"sortBy": BUSY_SORT, "sortDesc": True}}}
                       if busy(queries) else {}),
        )

    def quantiles(self, title: str, description: str, metric: Metric,
                  levels: Iterable[float] = (0.5, 0.9, 0.95, 0.99), *, with_mean: bool = True,
                  thresholds: list[dict] | None = None, by: Sequence[str] = (), w: int = 12,
                  h: int = 8, unit: str | None = None, **matchers: str) -> g.TimeSeries:
        """Quantile lines (and the mean) of a histogram; the title lists what is drawn."""
        levels = tuple(levels)
        prefix = " ".join("{{" + label + "}}" for label in by)
        queries = [Query(self.q.quantile(lv, metric, by, **matchers),
                         f"{prefix} {quantile_label(lv)}".strip()) for lv in levels]
        if with_mean:
            queries.append(Query(self.q.mean(metric, by, **matchers),
                                 f"{prefix} mean".strip()))
        names = " / ".join(quantile_label(lv) for lv in levels) + (" + mean" if with_mean else "")
        return self.timeseries(f"{title} ({names})", description, queries,
                               unit or metric.unit, thresholds=thresholds, w=w, h=h)

    def heatmap(self, title: str, description: str, metric: Metric, *, w: int = 12, h: int = 8,
                **matchers: str) -> g.Heatmap:
        """Prometheus buckets as a heatmap, no re-bucketing, y axis in the metric's unit."""
        target = self._targets([Query(self.q.heatmap(metric, **matchers), "{{le}}")],
                               fmt="heatmap")
        return g.Heatmap(
            title=title, description=description, dataSource=DATASOURCE, targets=target,
            dataFormat="tsbuckets", yBucketBound="upper", gridPos=_size(w, h),
            extraJson={
                "fieldConfig": {"defaults": {"unit": metric.unit}},
                "options": {
                    "calculate": False,
                    "cellGap": 1,
                    "color": {"mode": "scheme", "scheme": "Oranges", "scale": "exponential",
                              "exponent": 0.5, "fill": "dark-orange", "steps": 64, "reverse": False},
                    "yAxis": {"axisPlacement": "left", "unit": metric.unit},
                    "rowsFrame": {"layout": "auto"},
                    "tooltip": {"mode": "single", "yHistogram": True, "showColorScale": False},
                    "legend": {"show": True},
                    "filterValues": {"le": 1e-9},
                },
            },
        )

    def bargauge(self, title: str, description: str, query: Query, unit: str, *, w: int = 12,
                 h: int = 8, fmt: str = "time_series") -> g.BarGauge:
        """Ranked bars over the selected range (instant query); ``fmt="heatmap"`` for ``le``
        buckets, which Grafana then sorts by bound and turns into counts per bucket."""
        return g.BarGauge(
            title=title, description=description, dataSource=DATASOURCE,
            targets=self._targets([query], instant=True, fmt=fmt), format=unit, min=0, max=None,
            displayMode="gradient", thresholds=steps(("green", None)), gridPos=_size(w, h),
            extraJson={
                "fieldConfig": {"defaults": {"unit": unit, "min": 0, "color": {"mode": "palette-classic"}}},
                "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                            "showUnfilled": True},
            },
        )

    def piechart(self, title: str, description: str, query: Query, unit: str, *, w: int = 8,
                 h: int = 8) -> g.PieChartv2:
        unit, decimals = whole_count(unit, None, instant=True)
        return g.PieChartv2(
            title=title, description=description, dataSource=DATASOURCE,
            targets=self._targets([query], instant=True), unit=unit, pieType="donut",
            legendDisplayMode="table", legendPlacement="right", legendValues=["value", "percent"],
            gridPos=_size(w, h),
            extraJson={"fieldConfig": {"defaults": {"decimals": decimals}}} if decimals is not None else {},
        )

    def table(self, title: str, description: str, query: Query, unit: str, *, w: int = 12,
              h: int = 8) -> g.Table:
        """An instant table; the series' labels become columns."""
        return g.Table(
            title=title, description=description, dataSource=DATASOURCE,
            targets=self._targets([query], instant=True, fmt="table"), unit=unit, gridPos=_size(w, h),
            transformations=[{"id": "organize", "options": {"excludeByName": {"Time": True}}}],
        )


def layout(rows: Sequence[tuple[str, Sequence[g.Panel]]]) -> list[g.Panel]:
    """Row panels and their panels with ``gridPos`` filled in, left to right, top down.

    Panels wrap to a new line when the next one would cross column 24; a line is as
    tall as its tallest panel, so nothing overlaps.
    """
    out: list[g.Panel] = []
    y = 0
    for title, panels in rows:
        out.append(g.RowPanel(title=title, gridPos=g.GridPos(h=1, w=GRID_WIDTH, x=0, y=y)))
        y += 1
        x, line_h = 0, 0
        for panel in panels:
            w, h = panel.gridPos.w, panel.gridPos.h
            if x + w > GRID_WIDTH:
                y, x, line_h = y + line_h, 0, 0
            out.append(attr.evolve(panel, gridPos=g.GridPos(h=h, w=w, x=x, y=y)))
            x += w
            line_h = max(line_h, h)
        y += line_h
    return out
