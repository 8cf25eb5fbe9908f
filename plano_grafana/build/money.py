"""Money: token counters joined with the constant price series of ``rules/prices.yaml``.

A mixin of :class:`~plano_grafana.build.queries.Queries` (it uses that class's selectors
and its recording-rule mode), kept apart because pricing is its own subject: which labels
a counter and a price share, and what happens to series without a price.
"""

from __future__ import annotations

from collections.abc import Iterable

from plano_grafana.build.records import Records, recordable
from plano_grafana.build.selectors import RANGE, RATE_INTERVAL, QueryError, require
from plano_grafana.model.catalogue import Kind, Metric

#: The labels a token counter and a price series share.
PRICE_KEY = ("provider", "model", "kind")


def _window(func: str) -> str:
    if func not in ("rate", "increase"):
        raise QueryError(f"priced queries take rate or increase, not {func!r}")
    return RATE_INTERVAL if func == "rate" else RANGE


class Priced(Records):
    """Counters × prices, and the counters that have no price."""

    def _counted(self, metric: Metric, func: str, **matchers: str) -> str:
        """Per-series ``rate``/``increase`` of a counter before a price join; in
        recording-rule mode a rate is the recorded one (it keeps provider, model and kind,
        the join key)."""
        if func == "rate" and self.recording and recordable(metric):
            return self.recorded_selector(metric, "", (), matchers)
        return f"{func}({self.selector(metric, **matchers)}[{_window(func)}])"

    def _counter(self, metric: Metric, by: Iterable[str]) -> tuple[str, ...]:
        require(metric, Kind.COUNTER)
        by = tuple(by)
        self.check_labels(metric, by)
        return by

    def price_lookup(self, price: Metric, on: Iterable[str] = PRICE_KEY, **matchers: str) -> str:
        """One price series per ``on`` key: ``max by`` drops the labels an HA pair or a
        remote-write layer adds, which would otherwise make ``group_left`` ambiguous."""
        require(price, Kind.GAUGE)
        on = tuple(on)
        self.check_labels(price, on)
        return f"max by ({', '.join(on)}) ({self.selector(price, **matchers)})"

    def priced(self, metric: Metric, price: Metric, by: Iterable[str] = (), func: str = "rate",
               **matchers: str) -> str:
        """Σ counter × price per unit, e.g. USD/s: ``sum by (…) (rate(x{…}[…]) * on(provider,
        model, kind) group_left max by (…) (price))``. Counter series without a price drop
        out of the join; :meth:`unpriced` shows them."""
        by = self._counter(metric, by)
        counted = self._counted(metric, func, **matchers)
        return self.sum(f"{counted} * on({', '.join(PRICE_KEY)}) group_left "
                        f"{self.price_lookup(price)}", by)

    def unpriced(self, metric: Metric, price: Metric, by: Iterable[str] = (), func: str = "rate",
                 **matchers: str) -> str:
        """The counter's series that have no price: ``sum by (…) (rate(x[…]) unless on(…) price)``."""
        by = self._counter(metric, by)
        counted = self._counted(metric, func, **matchers)
        return self.sum(f"{counted} unless on({', '.join(PRICE_KEY)}) {self.selector(price)}", by)

    def rate_where_priced(self, metric: Metric, price: Metric, by: Iterable[str] = (),
                          **matchers: str) -> str:
        """Rate of the series of ``metric`` whose ``(provider, model)`` has a price: a
        per-response denominator that unpriced models must not dilute."""
        by = self._counter(metric, by)
        counted = self._counted(metric, "rate", **matchers)
        return self.sum(f"{counted} and on(provider, model) {self.selector(price)}", by)

    def price_gap(self, metric: Metric, price: Metric, kind: str, versus: str,
                  by: Iterable[str] = (), func: str = "rate", **matchers: str) -> str:
        """Tokens of ``kind`` × (price of ``versus`` − price of ``kind``): what those tokens
        would have cost more at the other kind's price (cache reads vs uncached input)."""
        by = self._counter(metric, by)
        pm = ("provider", "model")
        gap = (f"({self.price_lookup(price, pm, kind=versus)} - "
               f"{self.price_lookup(price, pm, kind=kind)})")
        counted = self._counted(metric, func, **matchers, kind=kind)
        return self.sum(f"{counted} * on({', '.join(pm)}) group_left() {gap}", by)
