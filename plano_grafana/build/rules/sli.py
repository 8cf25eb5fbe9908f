"""The SLIs of the burn-rate alerts: which traffic each objective covers, and its records.

**Terms.** The config's overrides split each SLI's traffic into disjoint *terms*, each
with one set of objectives (:mod:`plano_grafana.model.objectives`):

* one term per ``[slo.models."p/m"]`` override: ``provider="p", model="m"``, recorded
  by ``(provider, model)``;
* one term per provider with an override of its own or of one of its models:
  ``provider="p", model!~"<its overridden models>"``, recorded by ``provider``;
* the default term: every other provider, ``provider!~"<those providers>"``.

Label matchers alone draw the borders, so a request counts in exactly one term; the
alerts select a term's records with :meth:`Term.record_matchers`, which partition the
records the same way (a provider term's records have no ``model`` label).

**Records** (per term, ``or``-ed into one rule per window), for every window ``W`` of
the SRE workbook's table:

* ``<level>:<events>:increase<W>``: the events (all requests) in ``W``;
* ``<level>:<counted>:increase<W>``: the events the SLI counts (errors, or requests
  faster than the TTFT threshold) in ``W``;
* ``<level>:<name>:ratio_rate<W>``: the error ratio, from the two records.

Windows up to 6 h read the raw counters. The 1 d and 3 d windows, which read days of
raw samples on every evaluation, are sums of the recorded shortest-window increases,
``sum_over_time(<record>:increase5m[1d:5m])`` (Pyrra's ``performanceOverAccuracy``,
pyrra-dev/pyrra ``docs/performance-mode.md``): the subquery's step equals the recorded
window, so the summed windows tile the day without gaps or overlaps.

**The tile.** ``increase(x[5m])`` cannot tile: its samples span 5m minus one scrape
interval, and the interval between one window's last sample and the next one's first
is counted by neither, only made up by extrapolation (a counter that steps once an hour
counts 0 or 1.25 in a 5m window at 60 s scrapes). So the 5m records read one scrape
interval ``s`` more, less a millisecond: ``increase(x[5m+s-1ms]) * 5m / (5m+s-1ms)``.
That range holds ``5m/s + 1`` samples spanning exactly 5m whatever the scrapes' phase
and whether the range is closed on the left (Prometheus 2) or open (Prometheus 3);
Prometheus extrapolates their delta to the range (the two end gaps add up to ``s-1ms``)
and the factor takes that back. What is left is the delta of the samples themselves,
and consecutive tiles share their boundary sample, so a day of tiles sums to the
counter's own increase (tests/rules/plano-slo-availability.test.yaml checks it on
aligned samples). ``bench/prometheus_cost.py`` measures what the derived windows save
and how far they are from the raw ratio.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import attr

from plano_grafana.build.queries import Queries
from plano_grafana.model import catalogue as c
from plano_grafana.model import durations, windows
from plano_grafana.model.config import Config, ConfigError
from plano_grafana.model.config.objectives import Objectives
from plano_grafana.model.numbers import fmt_number

MINUTE, HOUR, DAY = 60, 3600, 86400
#: Nominal windows the alerts compare; those of :data:`DERIVED` come from recorded increases.
WINDOWS = (5 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 6 * HOUR, DAY, 3 * DAY)
DERIVED = (DAY, 3 * DAY)
#: The recorded increase the derived windows sum (and their subquery step).
BASE = 5 * MINUTE



def _alternation(values) -> str:
    """A regex alternative of literal names, escaped for RE2 inside a PromQL string
    (``gpt-4.1`` must not also match ``gpt-4x1``)."""
    return "|".join(re.sub(r"([.+*?()|\[\]{}^$\\])", r"\\\\\1", v) for v in sorted(values))


@attr.s(frozen=True)
class Term:
    """A slice of one SLI's traffic with one set of objectives."""

    key: str = attr.ib()  # "provider" or "envoy_cluster_name"
    objectives: Objectives = attr.ib()
    where: str = attr.ib()  # the config key, for messages and descriptions
    value: str | None = attr.ib(default=None)  # None: the default term
    model: str | None = attr.ib(default=None)
    excluded: tuple[str, ...] = attr.ib(default=())  # providers (default) or models
    #: excluded from the raw series only: they never reach a record (Plano's own clusters)
    internal: tuple[str, ...] = attr.ib(default=())

    def by(self) -> tuple[str, ...]:
        return (self.key, "model") if self.model else (self.key,)

    def raw_matchers(self) -> dict[str, str]:
        """Matchers of the raw series this term counts."""
        if self.value is None:
            excluded = self.excluded + self.internal
            return {self.key: "!~" + _alternation(excluded)} if excluded else {}
        out = {self.key: self.value}
        if self.model:
            out["model"] = self.model
        elif self.excluded:
            out["model"] = "!~" + _alternation(self.excluded)
        return out

    def record_matchers(self) -> str:
        """Matchers that select exactly this term's records."""
        if self.value is None:
            return f'{self.key}!~"{_alternation(self.excluded)}"' if self.excluded else ""
        return f'{self.key}="{self.value}",model="{self.model or ""}"'


def brightstaff_terms(cfg: Config) -> list[Term]:
    """Default, per-provider and per-model terms of the brightstaff SLIs."""
    slo = cfg.slo
    base = slo.defaults()
    by_provider: dict[str, list[str]] = {}
    for key in slo.models:
        provider, _, model = key.partition("/")
        by_provider.setdefault(provider, []).append(model)
    providers = sorted(set(slo.providers) | set(by_provider))
    terms = [Term("provider", base, "slo", excluded=tuple(providers))]
    for p in providers:
        own = slo.providers.get(p, Objectives()).over(base)
        where = f"slo.providers.{p}" if p in slo.providers else "slo"
        terms.append(Term("provider", own, where, p, excluded=tuple(sorted(by_provider.get(p, ())))))
        for m in sorted(by_provider.get(p, ())):
            key = f"{p}/{m}"
            terms.append(Term("provider", slo.models[key].over(own), f'slo.models."{key}"', p, m))
    return terms


def cluster_terms(cfg: Config) -> list[Term]:
    """Envoy's view: per provider cluster, a provider override applies to the cluster of
    the same name (brightstaff's provider name; ``base_url`` clusters differ)."""
    slo = cfg.slo
    base = slo.defaults()
    names = sorted(slo.providers)
    terms = [Term("envoy_cluster_name", base, "slo", excluded=tuple(names),
                  internal=tuple(c.INTERNAL_CLUSTERS))]
    terms += [Term("envoy_cluster_name", slo.providers[n].over(base), f"slo.providers.{n}", n)
              for n in names]
    return terms


def check_threshold(cfg: Config, term: Term) -> float:
    """The term's TTFT threshold; a value between bucket boundaries is refused, because the
    share of slower requests is read from exactly one ``le`` bucket."""
    value = term.objectives.ttft_threshold_seconds
    if value not in c.BS_LLM_TTFT.buckets:
        bounds = ", ".join(fmt_number(b) for b in c.BS_LLM_TTFT.buckets)
        raise ConfigError(f"{cfg.source}: {term.where}.ttft_threshold_seconds: "
                          f"{fmt_number(value)} is not a bucket boundary of "
                          f"{c.BS_LLM_TTFT.name} (one of {bounds})")
    return value


@attr.s(frozen=True)
class Sli:
    """An error ratio per term, recorded per window, and the objective it burns."""

    name: str = attr.ib()  # ratio records: <level>:<name>:ratio_rate<W>
    level: str = attr.ib()
    events_name: str = attr.ib()
    counted_name: str = attr.ib()
    counted_is_good: bool = attr.ib()  # ratio = 1 - counted/events instead of counted/events
    terms: tuple[Term, ...] = attr.ib(converter=tuple)
    objective: Callable[[Objectives], float] = attr.ib()
    #: (term, window) -> raw PromQL of the events / the counted events in the window
    events_raw: Callable[[Term, str], str] = attr.ib()
    counted_raw: Callable[[Term, str], str] = attr.ib()

    def record(self, kind: str, window: str) -> str:
        """``ratio`` (``…:ratio_rate<W>``), ``events`` or ``counted`` (``…:increase<W>``)."""
        if kind == "ratio":
            return f"{self.level}:{self.name}:ratio_rate{window}"
        name = self.events_name if kind == "events" else self.counted_name
        return f"{self.level}:{name}:increase{window}"

    def ratio_of(self, counted: str, events: str) -> str:
        if self.counted_is_good:
            return f"1 - {counted} / {events}"
        return f"({counted} or {events} * 0) / {events}"

    def raw_ratio(self, window: str) -> str:
        """The error ratio straight from the raw counters, every term: what the derived
        windows approximate (the bench compares the two)."""
        return " or ".join(f"({self.ratio_of(self.counted_raw(t, window), self.events_raw(t, window))})"
                           for t in self.terms)

    def rules(self, w: windows.Windows) -> list[dict]:
        base = w.window(BASE)
        out = []
        for nominal in dict.fromkeys(WINDOWS):
            window = w.window(nominal)
            if any(r["record"] == self.record("ratio", window) for r in out):
                continue  # two nominal windows raised to the same floor
            if nominal in DERIVED:
                events, counted = (f"sum_over_time({self.record(k, base)}[{window}:{base}])"
                                   for k in ("events", "counted"))
            elif window == base:  # the tiles the derived windows sum
                read, scale = tile_window(w)
                events = " or ".join(f"{self.events_raw(t, read)} * {scale}" for t in self.terms)
                counted = " or ".join(f"{self.counted_raw(t, read)} * {scale}" for t in self.terms)
            else:
                events = " or ".join(self.events_raw(t, window) for t in self.terms)
                counted = " or ".join(self.counted_raw(t, window) for t in self.terms)
            out += [{"record": self.record("events", window), "expr": events},
                    {"record": self.record("counted", window), "expr": counted},
                    {"record": self.record("ratio", window),
                     "expr": self.ratio_of(self.record("counted", window),
                                           self.record("events", window))}]
        return out


def tile_window(w: windows.Windows) -> tuple[str, str]:
    """The range a tile reads (the base window and one scrape) and the factor from its
    extrapolated increase back to the delta of its samples (see the module's docstring)."""
    base = w.seconds(BASE)
    read = base + w.scrape_interval - 0.001
    return durations.text(read), f"{fmt_number(base)} / {fmt_number(read)}"


def _increase(q: Queries, metric: c.Metric, window: str, term: Term, suffix: str = "",
              **matchers: str) -> str:
    selector = q.rule_selector(metric, suffix, **term.raw_matchers(), **matchers)
    return q.sum(f"increase({selector}[{window}])", term.by())  # the fleet label kept


def availability(q: Queries) -> Sli:
    """brightstaff's calls per provider: 5xx and transport errors against all calls."""
    cfg = q.cfg
    return Sli("brightstaff_llm_upstream_errors", "provider", "brightstaff_llm_upstream_requests",
               "brightstaff_llm_upstream_failed", False, brightstaff_terms(cfg),
               lambda o: o.availability_objective,
               lambda t, w: _increase(q, c.BS_LLM_UPSTREAM_REQUESTS, w, t),
               lambda t, w: _increase(q, c.BS_LLM_UPSTREAM_REQUESTS, w, t,
                                      status_class="=~5xx|error"))


def cluster_availability(q: Queries) -> Sli:
    """Envoy's attempts per provider cluster (retries included): 5xx against all."""
    cfg = q.cfg
    return Sli("envoy_cluster_upstream_errors", "cluster", "envoy_cluster_upstream_rq",
               "envoy_cluster_upstream_rq_5xx", False, cluster_terms(cfg),
               lambda o: o.availability_objective,
               lambda t, w: _increase(q, c.UPSTREAM_RQ_TOTAL, w, t),
               lambda t, w: _increase(q, c.UPSTREAM_RQ_XX, w, t, envoy_response_code_class="5"))


def ttft(q: Queries) -> Sli:
    """Share of first tokens slower than the term's threshold, from one ``le`` bucket."""
    cfg = q.cfg
    terms = brightstaff_terms(cfg)
    for term in terms:
        check_threshold(cfg, term)
    return Sli("brightstaff_llm_ttft_over_threshold", "provider", "brightstaff_llm_ttft_requests",
               "brightstaff_llm_ttft_within_threshold", True, terms,
               lambda o: o.ttft_objective,
               lambda t, w: _increase(q, c.BS_LLM_TTFT, w, t, "_count"),
               lambda t, w: _increase(q, c.BS_LLM_TTFT, w, t, "_bucket",
                                      le=fmt_number(t.objectives.ttft_threshold_seconds)))
