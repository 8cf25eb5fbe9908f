"""Fixed time windows for recording rules and alerts, derived from the scrape interval.

Dashboards use Grafana's ``$__rate_interval``, which follows the zoom level and the
datasource's scrape interval. Rules have no Grafana: a rule's ``rate(x[W])`` has a fixed
``W``, and a ``W`` shorter than four scrapes returns nothing or noise. So every window in
a rule file comes from here:

* :meth:`Windows.rate` is the window of the pre-aggregated rates (recording rules and the
  dashboards in recording-rule mode): four scrape intervals, Prometheus's own advice for
  ``rate()`` and what ``$__rate_interval`` is at its finest.
* :meth:`Windows.window` turns a nominal duration (the SRE workbook's 5 m … 3 d burn-rate
  windows, an alert's ``for``) into the duration a rule uses: multiplied by ``scale``
  and never below :meth:`rate`. ``scale`` is 1 in every shipped file; a test compiles
  the very same alerts with ``scale = 1/300`` (1 h → 12 s) so that a real Prometheus
  evaluating every second fires them within seconds.

Both come from the config a rule module is handed (:meth:`Windows.of`): the scrape
interval is its ``scrape_interval``; ``scale`` is its ``window_scale``, which has no TOML
key on purpose (a shipped rule file always has the workbook's windows) and is set only
by the tests, with ``attr.evolve(cfg, window_scale=…)``.
"""

from __future__ import annotations

import math

import attr

from plano_grafana.model import durations

#: Samples a rate window must span (Prometheus: "at least four times the scrape interval").
SCRAPES_PER_WINDOW = 4


@attr.s(frozen=True, slots=True)
class Windows:
    """The scrape interval (seconds) and the factor applied to nominal windows."""

    scrape_interval: float = attr.ib(default=15.0)
    scale: float = attr.ib(default=1.0)

    @scrape_interval.validator
    @scale.validator
    def _positive(self, attribute, value) -> None:
        if not (isinstance(value, int | float) and value > 0 and math.isfinite(value)):
            raise ValueError(f"{attribute.name} must be a positive number, got {value!r}")

    @classmethod
    def of(cls, cfg) -> Windows:
        """The windows of ``cfg`` (a :class:`~plano_grafana.model.config.Config`): its
        scrape interval and its window scale."""
        return cls(cfg.scrape_interval, cfg.window_scale)

    @property
    def rate_seconds(self) -> float:
        return SCRAPES_PER_WINDOW * self.scrape_interval

    def rate(self) -> str:
        """Window of every recorded rate: four scrape intervals (``1m`` at 15 s)."""
        return durations.text(self.rate_seconds)

    def seconds(self, nominal: float) -> float:
        """A nominal window scaled, and never shorter than :meth:`rate`."""
        return max(nominal * self.scale, self.rate_seconds)

    def window(self, nominal: float) -> str:
        return durations.text(self.seconds(nominal))

    def hold(self, nominal: float) -> str:
        """An alert's ``for``: scaled like the windows, and like them never shorter than
        four scrapes (evidence from one scrape, or none yet at startup, is not enough)."""
        return durations.text(max(nominal * self.scale, self.rate_seconds))

