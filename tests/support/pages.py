"""Reading pages back from Prometheus's ``ALERTS`` series: every firing episode (an alert
that fires and clears is a page, even if nothing is firing by the end) and when an alert
first fired."""

from __future__ import annotations

import time

#: Samples further apart than this (in evaluation intervals) belong to two episodes.
GAP = 1.5


def episodes(prom, selector: str, start: float, end: float, step: float = 1.0) -> list[tuple[dict, float]]:
    """(labels, first firing time) of each firing episode of the alerts ``selector`` matches
    between ``start`` and ``end``, from the raw samples Prometheus wrote at each evaluation."""
    window = max(int(end - start) + 1, 1)
    result = prom.query(f'ALERTS{{{selector},alertstate="firing"}}[{window}s]', end)
    out = []
    for series in result:
        stamps = sorted(float(t) for t, _ in series["values"] if start <= float(t) <= end)
        for i, t in enumerate(stamps):
            if i == 0 or t - stamps[i - 1] > GAP * step:
                out.append((series["metric"], t))
    return sorted(out, key=lambda e: e[1])


def first_firing(prom, selector: str, since: float) -> float | None:
    """When Prometheus first evaluated an alert of ``selector`` as firing (None: never)."""
    found = episodes(prom, selector, since, time.time())
    return found[0][1] if found else None
