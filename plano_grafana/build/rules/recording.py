"""Recording rules: every Plano counter and histogram pre-aggregated across instances.

Why: at fleet scale a per-provider quantile reads every bucket series of every instance
(``TTFT p95 by provider and model`` touched 17 M samples over 24 h at 50 instances, 12×
Plano's shipped dashboard per panel). Summing ``instance`` away once per evaluation,
``sum by (job, <fleet label>, <the metric's labels>[, le]) (rate(x[4 × scrape]))``, leaves
one series per label set instead of one per instance, and both the dashboards (with
``recording_rules = true``) and the alerts read those.

What is recorded is derived, not listed: every counter and histogram series in the
catalogue, named by :meth:`plano_grafana.build.records.Records.record_name` (Prometheus's
``level:metric:operations``; level ``job``, ``cluster``, ``listener`` or
``provider_model`` after the labels kept). A metric added to the catalogue gets its
record without an edit here, and the dashboards find it through the same function.

The window is fixed (four scrape intervals, ``rate1m`` at 15 s) where the dashboards'
raw queries use ``$__rate_interval``: a recorded panel zoomed out to days shows the 1 m
rate sampled once per step rather than a rate over the step, i.e. it is noisier, and a
spike shorter than a step can fall between two points. That is the price of reading one
sample per series per step; the raw mode (the default) keeps Grafana's adaptive window.
"""

from __future__ import annotations

from plano_grafana.build.queries import Queries, record_suffixes, recordable
from plano_grafana.model import catalogue as c
from plano_grafana.model.config import Config

#: One group: every record of an evaluation shares its timestamp, so a panel that divides
#: an Envoy rate by a brightstaff rate divides values of the same instant.
GROUP = "plano-recording"


def records() -> list[tuple[c.Metric, str]]:
    """(metric, series suffix) of every recorded rate, in catalogue order."""
    return [(m, suffix) for m in c.CATALOGUE.values() if recordable(m)
            for suffix in record_suffixes(m)]


def groups(cfg: Config) -> list[dict]:
    """``record`` / ``expr`` of every recorded rate, in one group."""
    q = Queries(cfg)
    return [{"name": GROUP, "rules": [{"record": q.record_name(m, suffix),
                                       "expr": q.record_expr(m, suffix)}
                                      for m, suffix in records()]}]
