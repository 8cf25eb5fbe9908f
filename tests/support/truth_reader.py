"""Read a selector of raw series from the simulator's truth: what each scrape of
Prometheus read, as an interval the exporter's timing allows.

The PromQL interpreter (:mod:`tests.support.truth_eval`) hands every selector of a
catalogue series here, and everything else (operators, functions, recorded series) it
computes itself. How the truth is read, and why:

* A counter's (or a histogram part's) value at a scrape is the sum of the increments the
  truth log holds up to that instant. The instants are the real scrape timestamps of each
  job (read from Prometheus's ``up`` samples), so ``rate``/``increase`` count exactly the
  increments between the first and the last scrape inside the window; without that
  alignment the one or two events at each edge of a 10 s window would swamp every small
  series. Each value is an interval: the exporter reads its registry after the scrape's
  timestamp and before the scrape ends (``scrape_duration_seconds``; ``lag`` when
  unknown), and an increment recorded in that gap may or may not be in the sample.
* A gauge at a scrape is the last value the simulator set; the interval spans every value it
  set during that gap. Gauges never set since they were created read the registry's value.
* A series is *sure* when it existed before the scrape's timestamp: one born inside the
  gap may or may not be in Prometheus's answer.

Scrape labels (job, instance, service) are not in the truth log; matchers on them are
ignored (``ignored``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator

import attr
import promql_parser as pp

from plano_grafana.model.catalogue import Kind, Metric
from plano_grafana.model.numbers import fmt_number
from tests.support.truth_index import (
    ALIGNMENT,
    SCRAPE_LABELS,
    Labels,
    Samples,
    ScrapeClock,
    Series,
    TruthIndex,
    Value,
)

NAME = "__name__"
Vector = dict[Labels, Value]
Matrix = dict[Labels, Samples]


class TruthError(ValueError):
    """The expression uses something the evaluator does not model: the proof fails on it."""


def drop(labels: Labels, names: Iterable[str]) -> Labels:
    names = set(names)
    return tuple(kv for kv in labels if kv[0] not in names)


def keep(labels: Labels, names: Iterable[str]) -> Labels:
    names = set(names)
    return tuple(kv for kv in labels if kv[0] in names)


@attr.s
class TruthReader:
    """Instant and range vectors of a selector over one catalogue family part."""

    index: TruthIndex = attr.ib()
    clock: ScrapeClock = attr.ib()
    lag: float = attr.ib(default=0.25)
    ignored: frozenset = attr.ib(default=SCRAPE_LABELS)  # target labels the truth has not

    def matches(self, node: pp.VectorSelector, labels: Labels) -> bool:
        """Whether ``labels`` satisfy the selector's matchers (scrape labels ignored)."""
        have = dict(labels)
        for m in node.matchers.matchers:
            if m.name in self.ignored:
                continue
            value = have.get(m.name, "")
            if m.op == pp.MatchOp.Equal:
                ok = value == m.value
            elif m.op == pp.MatchOp.NotEqual:
                ok = value != m.value
            else:
                ok = re.fullmatch(m.value, value) is not None
                ok = ok if m.op == pp.MatchOp.Re else not ok
            if not ok:
                return False
        return True

    def instant(self, node: pp.VectorSelector, name: str, metric: Metric, part: str, t: float
                ) -> Vector:
        """The samples of the last scrape at or before ``t`` (within the lookback)."""
        out: Vector = {}
        job = self.index.job_of[metric.name]
        ts = self.clock.last(job, t)
        if ts is None:
            return out
        until = self.read_by(job, ts)
        for labels, series, bound in self._part_series(metric, part, name):
            if series.born > until or not self.matches(node, labels):
                continue
            value = read(series, metric, part, bound, ts, until)
            if value is not None:
                out[labels] = attr.evolve(value, sure=series.born <= ts)
        return out

    def range(self, node: pp.VectorSelector, name: str, metric: Metric, part: str,
              window: float, t: float) -> Matrix:
        """Every scrape's sample in ``(t - window, t]``, per series (with the observations
        behind histogram buckets, for ``histogram_quantile``)."""
        out: Matrix = {}
        job = self.index.job_of[metric.name]
        times = [(ts, self.read_by(job, ts)) for ts in self.clock.between(job, t - window, t)]
        counter = metric.kind is not Kind.GAUGE
        for labels, series, bound in self._part_series(metric, part, name):
            if not self.matches(node, labels):
                continue
            points = []
            for ts, until in times:
                if series.born > until:
                    continue
                value = read(series, metric, part, bound, ts, until)
                if value is not None:
                    points.append((ts, value))
            if not points:
                continue
            obs = None
            if part == "_bucket" and len(points) >= 2:
                obs = (metric, series.observations(points[0][0], points[-1][0]))
            # a sample is certain when the series existed before the scrape's timestamp
            certain = sum(1 for ts, _ in points if series.born <= ts)
            out[labels] = Samples(points, counter, obs, certain >= (2 if counter else 1))
        return out

    def read_by(self, job: str, ts: float) -> float:
        """When the exporter had surely been read for the scrape at ``ts``: the scrape's
        duration as Prometheus measured it (plus 10 ms for the truth log's own write),
        else ``lag``."""
        took = self.clock.duration(job, ts)
        return ts + (took + 0.01 if took is not None else self.lag)

    def _part_series(self, metric: Metric, part: str, name: str
                     ) -> Iterator[tuple[Labels, Series, float | None]]:
        """(labels, series, bound) per exposed series of a family part (``le`` per bucket)."""
        for labels, series in self.index.series(metric.name).items():
            full = (*labels, (NAME, name))
            if part == "_bucket":
                for bound in (*metric.buckets, math.inf):
                    le = "+Inf" if bound == math.inf else fmt_number(bound)
                    yield tuple(sorted((*full, ("le", le)))), series, bound
            else:
                yield tuple(sorted(full)), series, None


def read(series: Series, metric: Metric, part: str, bound, ts: float, until: float
         ) -> Value | None:
    """A sample of the scrape stamped ``ts`` whose read ended by ``until``.

    Prometheus may move a timestamp by up to 2 ms to align it with the interval
    (``--scrape.timestamp-tolerance``), so the read may also have started that early.
    """
    start = ts - ALIGNMENT
    if metric.kind is Kind.GAUGE:
        found = series.gauge_between(start, until)
        if found is None:
            return None
        at = series.gauge_between(ts, until)
        val = at[0] if at and not math.isnan(at[0]) else found[1]
        return Value(val, found[1], found[2])
    return Value(series.counter_at(ts, part, bound), series.counter_at(start, part, bound),
                 series.counter_at(until, part, bound))
