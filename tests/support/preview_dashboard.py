"""A small synthetic dashboard for the preview tests, built with the package's own factories.

Three grid lines under one row: a line chart with data and one whose metric does not
exist (side by side), a stat with thresholds and a panel whose PromQL does not parse.
The tests read the rendered PNG back and check each panel where its ``gridPos`` says.
"""

from grafanalib import core as g

from plano_grafana.build.panels import Panels, Query
from plano_grafana.build.queries import Queries
from plano_grafana.build.templating import dashboard
from plano_grafana.model import catalogue as c

UID = "preview-synthetic"
WITH_DATA = "Requests/s by provider cluster"
NO_DATA = "A metric nobody exports"
STAT = "Completed requests/s"
BROKEN = "Broken PromQL"


def build(cfg) -> g.Dashboard:
    q = Queries(cfg)
    p = Panels(q)
    panels = [
        p.timeseries(WITH_DATA, "Attempts per provider cluster.",
                     [Query(q.rate(c.UPSTREAM_RQ_TOTAL, by=("envoy_cluster_name",)),
                            "{{envoy_cluster_name}}")],
                     "reqps", w=12, h=8),
        p.timeseries(NO_DATA, "Returns nothing: the metric does not exist.",
                     [Query('sum(rate(plano_preview_no_such_metric_total{job=~"$job"}[$__rate_interval]))',
                            "nothing")], "reqps", w=12, h=8),
        p.stat(STAT, "Completed LLM requests per second.", q.rate(c.REQUEST_LATENCY, "_count"), "reqps",
               thresholds=p.steps(("green", None), ("red", 1e9)), w=6, h=4),
        p.timeseries(BROKEN, "Prometheus rejects this expression.",
                     [Query('sum(rate(envoy_cluster_upstream_rq_total{job=~"$job"}[$__rate_interval])',
                            "broken")], "reqps", w=18, h=4),
    ]
    return dashboard(q, UID, "Preview test", "Synthetic dashboard for the preview tests.",
                     [("Synthetic", panels)])
