"""Ground truth of the simulator: every observation and increment with its time.

A test asks the truth log what a panel *should* show (exact quantiles, rates, ratios)
and compares it with what Prometheus computes from the scraped buckets.
"""

from __future__ import annotations

import bisect
import collections
import math
import threading
import time
from collections.abc import Iterable


class TruthLog:
    """Every recorded observation or increment with its time, for ground-truth queries."""

    def __init__(self, maxlen: int = 1_000_000):
        # one bounded log per family, so a query scans only the family it asks about
        self._events: dict[str, collections.deque] = collections.defaultdict(
            lambda: collections.deque(maxlen=maxlen))
        self._lock = threading.Lock()
        self.now = time.time

    def record(self, family: str, labels, value: float) -> None:
        with self._lock:
            self._events[family].append((self.now(), dict(labels), value))

    def values(self, family: str, since: float, until: float | None = None,
               **labels: str | Iterable[str]) -> list[float]:
        """Values of ``family`` in [since, until] whose labels match (a str or a set)."""
        until = until or self.now()
        want = {k: ({v} if isinstance(v, str) else set(v)) for k, v in labels.items()}
        with self._lock:
            events = list(self._events.get(family, ()))
        return [v for t, lab, v in events
                if since <= t <= until and all(lab.get(k) in vs for k, vs in want.items())]

    def events(self, family: str, since: float, until: float | None = None
               ) -> list[tuple[float, dict, float]]:
        """``(time, labels, value)`` of ``family`` in [since, until]."""
        until = until or self.now()
        with self._lock:
            events = list(self._events.get(family, ()))
        return [e for e in events if since <= e[0] <= until]

    def quantile(self, family: str, q: float, since: float, until: float | None = None,
                 **labels) -> float:
        """Exact empirical quantile (the value a perfect histogram would report)."""
        values = sorted(self.values(family, since, until, **labels))
        if not values:
            return math.nan
        rank = q * (len(values) - 1)
        lo = math.floor(rank)
        hi = min(lo + 1, len(values) - 1)
        return values[lo] + (values[hi] - values[lo]) * (rank - lo)

    def rate(self, family: str, since: float, until: float | None = None, **labels) -> float:
        """Per-second sum of increments (counters) or observations (histogram counts)."""
        until = until or self.now()
        return sum(self.values(family, since, until, **labels)) / max(until - since, 1e-9)

    def count_rate(self, family: str, since: float, until: float | None = None, **labels) -> float:
        until = until or self.now()
        return len(self.values(family, since, until, **labels)) / max(until - since, 1e-9)


def bucket_bounds(buckets: tuple[float, ...], value: float) -> tuple[float, float]:
    """The ``(lower, upper]`` bucket of a value: where histogram_quantile interpolates."""
    i = bisect.bisect_left(buckets, value)
    lower = buckets[i - 1] if i > 0 else 0.0
    upper = buckets[i] if i < len(buckets) else math.inf
    return lower, upper
