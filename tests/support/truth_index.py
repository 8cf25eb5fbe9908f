"""What the simulator's truth log says each scrape of Prometheus read.

The truth log (``plano_grafana.simulate.truth``) holds every increment, observation and gauge
setting with its time; :class:`TruthIndex` groups them per exposed series and answers
"what did the scrape stamped ``ts`` read?", and :class:`ScrapeClock` knows when each job
was scraped (Prometheus's own ``up`` samples) and how long each scrape took. The PromQL
evaluator over these answers is :mod:`tests.support.truth_eval`, reading selectors through
:mod:`tests.support.truth_reader`.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence

import attr

from plano_grafana.model.catalogue import Kind, Metric

Labels = tuple[tuple[str, str], ...]
SCRAPE_LABELS = frozenset({"job", "instance", "service"})
ALIGNMENT = 0.003  # Prometheus's scrape timestamp tolerance (2 ms), and rounding to ms


@attr.s(frozen=True, slots=True)
class Value:
    """One sample of the truth: best value and the interval the exporter's timing allows."""

    val: float = attr.ib()
    lo: float = attr.ib()
    hi: float = attr.ib()
    sure: bool = attr.ib(default=True)  # False: the series may not exist yet in Prometheus
    obs: tuple | None = attr.ib(default=None, eq=False)  # (family, observations) behind buckets

    @classmethod
    def exact(cls, v: float, sure: bool = True) -> Value:
        return cls(v, v, v, sure)


@attr.s(frozen=True, slots=True)
class Samples:
    """A range vector's samples of one series: ``(time, Value)`` pairs plus histogram obs."""

    points: list = attr.ib()
    counter: bool = attr.ib()
    obs: tuple | None = attr.ib(default=None)
    sure: bool = attr.ib(default=True)


def labels_of(mapping: Mapping[str, str]) -> Labels:
    return tuple(sorted((k, v) for k, v in mapping.items() if v != ""))


# --- the recorded events, indexed per series


@attr.s(slots=True)
class Series:
    """One exposed series: its events oldest first, read as a counter, a histogram part or a
    gauge at any instant."""

    metric: Metric = attr.ib()
    labels: Labels = attr.ib()
    times: list = attr.ib(factory=list)
    values: list = attr.ib(factory=list)
    static: float | None = attr.ib(default=None)  # registry value of a never-changed series
    _cum: list | None = attr.ib(default=None)
    _by_bound: dict = attr.ib(factory=dict)

    @property
    def born(self) -> float:
        return self.times[0] if self.times else -math.inf

    def _cumulative(self, values: Sequence[float]) -> list[float]:
        out, running = [], 0.0
        for v in values:
            running += v
            out.append(running)
        return out

    def counter_at(self, t: float, part: str = "", bound: float | None = None) -> float:
        """Counter (or histogram ``_count``/``_sum``/``_bucket``) value read at time ``t``."""
        if part == "_bucket":
            times = self._by_bound.get(bound)
            if times is None:
                times = self._by_bound[bound] = [ts for ts, v in zip(self.times, self.values,
                                                                      strict=True) if v <= bound]
            return float(bisect.bisect_right(times, t))
        if part == "_count":
            return float(bisect.bisect_right(self.times, t))
        if self._cum is None:
            self._cum = self._cumulative(self.values)
        i = bisect.bisect_right(self.times, t)
        return self._cum[i - 1] if i else 0.0

    def gauge_between(self, t: float, until: float) -> tuple[float, float, float] | None:
        """Value at ``t`` and the min/max of what was set up to ``until``; None: not yet set."""
        if not self.times:
            return (self.static, self.static, self.static) if self.static is not None else None
        i = bisect.bisect_right(self.times, t)
        j = bisect.bisect_right(self.times, until)
        seen = self.values[max(i - 1, 0):j] if j else []
        if not seen:
            return None
        at = self.values[i - 1] if i else math.nan
        return at, min(seen), max(seen)

    def observations(self, after: float, until: float) -> list[float]:
        i = bisect.bisect_right(self.times, after)
        j = bisect.bisect_right(self.times, until)
        return self.values[i:j]


class TruthIndex:
    """The truth log and the registries' series, by series name, read once per proof."""

    def __init__(self, registries: Mapping[str, object], events: Callable[[str], Iterable]):
        """``registries``: job name -> exposition.Registry; ``events(family)`` -> (t, labels, v)."""
        self.job_of: dict[str, str] = {}
        self.family: dict[str, Metric] = {}
        self._series: dict[str, dict[Labels, Series]] = {}
        for job, registry in registries.items():
            snapshot = registry.snapshot()
            for name, metric in registry.metrics.items():
                self.job_of[name] = job
                self.family[name] = metric
                found: dict[Labels, Series] = {}
                for t, labels, value in events(name):
                    key = labels_of(labels)
                    series = found.get(key) or found.setdefault(key, Series(metric, key))
                    series.times.append(t)
                    series.values.append(value)
                for series in found.values():  # a test may record out of time order
                    if any(a > b for a, b in itertools.pairwise(series.times)):
                        pairs = sorted(zip(series.times, series.values, strict=True),
                                       key=lambda p: p[0])
                        series.times[:] = [p[0] for p in pairs]
                        series.values[:] = [p[1] for p in pairs]
                for key, value in snapshot.get(name, {}).items():
                    key = labels_of(dict(key))
                    if key not in found:  # touched at creation, never changed since
                        static = value if metric.kind is Kind.GAUGE else 0.0
                        found[key] = Series(metric, key, static=static)
                self._series[name] = found

    def resolve(self, series_name: str) -> tuple[Metric, str] | None:
        """(family, part) for a series name: ``x_bucket`` -> (x, "_bucket")."""
        if series_name in self.family and self.family[series_name].kind is not Kind.HISTOGRAM:
            return self.family[series_name], ""
        for part in ("_bucket", "_sum", "_count"):
            base = series_name[: -len(part)]
            if series_name.endswith(part) and base in self.family \
                    and self.family[base].kind is Kind.HISTOGRAM:
                return self.family[base], part
        return None

    def series(self, family: str) -> dict[Labels, Series]:
        return self._series.get(family, {})


class ScrapeClock:
    """Sample timestamps per scrape job (and per recorded series, ``rule:<name>``, when
    ``fetch`` can read them); :meth:`regular` makes an ideal clock for unit tests."""

    def __init__(self, times: Mapping[str, Sequence[float]],
                 fetch: Callable[[str], Sequence[float]] | None = None,
                 durations: Mapping[str, Mapping[float, float]] | None = None):
        self._times = {job: sorted(ts) for job, ts in times.items()}
        self._fetch = fetch
        self._durations = durations or {}

    def duration(self, job: str, ts: float) -> float | None:
        """How long the scrape at ``ts`` took (``scrape_duration_seconds``), if known."""
        return self._durations.get(job, {}).get(ts)

    def has(self, job: str) -> bool:
        if job not in self._times and self._fetch is not None:
            self._times[job] = sorted(self._fetch(job))
        return bool(self._times.get(job))

    @classmethod
    def regular(cls, jobs: Iterable[str], start: float, end: float, interval: float = 1.0
                ) -> ScrapeClock:
        n = int((end - start) / interval)
        return cls({job: [start + i * interval for i in range(n + 1)] for job in jobs})

    def between(self, job: str, start: float, end: float) -> list[float]:
        times = self._times.get(job, []) if self.has(job) else []
        return times[bisect.bisect_left(times, start):bisect.bisect_right(times, end)]

    def last(self, job: str, at: float, lookback: float = 300.0) -> float | None:
        found = self.between(job, at - lookback, at)
        return found[-1] if found else None
