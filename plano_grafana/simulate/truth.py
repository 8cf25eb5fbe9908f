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

from plano_grafana.model import catalogue as c


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


def routing_truth(truth: TruthLog, since: float, until: float) -> dict:
    """What the routing dashboard should show for [since, until], from the truth log:
    decisions per model, fallback ratio, exact decision-time quantiles, /routing outcome
    shares, session-cache ratios, switch decisions, and HTTP RED per handler."""
    def rate(family: str, **labels) -> float:
        return truth.rate(family, since, until, **labels)

    def ratio(part: float, whole: float) -> float | None:
        return part / whole if whole else None

    decisions = c.BS_ROUTER_DECISIONS.name
    models = sorted({lab["selected_model"] for _, lab, _ in truth.events(decisions, since, until)})
    routing = c.BS_ROUTING_SERVICE_REQUESTS.name
    cache = c.BS_SESSION_CACHE_EVENTS.name
    hits, misses = rate(cache, outcome="hit"), rate(cache, outcome="miss")
    switches = c.BS_SESSION_SWITCH_DECISIONS.name
    http, duration = c.BS_HTTP_REQUESTS.name, c.BS_HTTP_DURATION.name
    handlers = {}
    for handler in c.BS_HANDLERS:
        total = rate(http, handler=handler)
        if total:
            handlers[handler] = {
                "rate": total,
                "ratio_5xx": rate(http, handler=handler, status_class="5xx") / total,
                **{f"p{q * 100:g}": truth.quantile(duration, q, since, until, handler=handler)
                   for q in (0.5, 0.95, 0.99)},
            }
    router_time = c.BS_ROUTER_DURATION.name
    return {
        "decisions_per_s": {m: rate(decisions, selected_model=m) for m in models},
        "fallback_ratio": ratio(rate(decisions, fallback="true"), rate(decisions)),
        "decision_seconds": {f"p{q * 100:g}": truth.quantile(router_time, q, since, until)
                             for q in (0.5, 0.95, 0.99)},
        "skips_per_s": rate(c.BS_ROUTER_SKIPS.name),
        "routing_outcome_share": {o: ratio(rate(routing, outcome=o), rate(routing))
                                  for o in c.BS_ROUTING_OUTCOMES},
        "session_cache": {"hit_ratio": ratio(hits, hits + misses),
                          **{o: ratio(rate(cache, outcome=o), rate(cache))
                             for o in c.BS_SESSION_CACHE_OUTCOMES}},
        "switch_decisions_per_s": {f"{d}/{r}": rate(switches, decision=d, reason=r)
                                   for d in c.BS_SWITCH_DECISIONS for r in c.BS_SWITCH_REASONS
                                   if rate(switches, decision=d, reason=r)},
        "http": handlers,
    }
