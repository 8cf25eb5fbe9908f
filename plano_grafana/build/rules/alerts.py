"""Alerts: multi-window, multi-burn-rate SLO alerts per provider, and symptom alerts.

SLO alerts follow the Google SRE workbook (chapter 5, "Alerting on SLOs", its recommended
multi-window, multi-burn-rate parameters):
an alert fires when the error budget burns fast over a long window *and* is still
burning over a short one (the short window makes it reset soon after recovery):

=========  ==========  ======  =======================  ========
long       short       burn    budget spent at firing   severity
=========  ==========  ======  =======================  ========
1 h        5 m         14.4×   2 % of 30 days           page
6 h        30 m        6×      5 %                      page
1 d        2 h         3×      10 %                     ticket
3 d        6 h         1×      10 %                     ticket
=========  ==========  ======  =======================  ========

"page" is ``severity: critical`` and "ticket" ``severity: warning`` (kube-prometheus's
names, which its Alertmanager routes on). The error ratio and the requests of each window
are recorded once per evaluation (:mod:`.sli`) and the alerts compare records. Each pair
also needs ``min_events`` requests in its long window: right after a Prometheus restart
every window holds the same first seconds, and a low-traffic provider crosses any
threshold with one slow request; neither is evidence (docs/runbooks.md, "The
minimum-events guard"). Objectives come from the config's ``[slo]`` and its per-provider
and per-model overrides, one alert rule per objective: availability (5xx and transport
errors against all upstream requests, from brightstaff per provider and from Envoy per
provider cluster) and TTFT (the share of requests slower than ``ttft_threshold_seconds``,
read from one ``le`` bucket, so the threshold must be a bucket boundary).

Every window is :mod:`plano_grafana.model.windows`'s: scaled for tests, never shorter than four
scrape intervals. Every alert has ``severity``, ``summary``, ``description`` (with the
reason it matters) and ``runbook_url`` pointing at its section of ``docs/runbooks.md``.
"""

from __future__ import annotations

from collections.abc import Callable

import attr

from plano_grafana.build.queries import Queries
from plano_grafana.build.rules import sli
from plano_grafana.model import catalogue as c
from plano_grafana.model import durations
from plano_grafana.model.config import Config
from plano_grafana.model.numbers import fmt_number

#: Scrape jobs of Envoy (this package's ``prometheus-config`` says ``plano``, Plano's own
#: scrape file ``envoy``) and of brightstaff.
ENVOY_JOBS = "plano|envoy"
BRIGHTSTAFF_JOBS = "brightstaff"
#: A provider throttling one request in ten is out of quota or rate tier.
RATE_LIMITED_RATIO = 0.10

MINUTE, HOUR, DAY = 60, 3600, 86400
#: Envoy clusters that are providers (Plano's own internal clusters excluded).
_PROVIDER_CLUSTERS = "!~" + "|".join(c.INTERNAL_CLUSTERS)


@attr.s(frozen=True)
class BurnWindow:
    long: int = attr.ib()  # seconds (nominal, before scaling)
    short: int = attr.ib()
    factor: float = attr.ib()
    severity: str = attr.ib()


#: The SRE workbook's recommended windows and burn rates (page and ticket).
BURN_WINDOWS: tuple[BurnWindow, ...] = (
    BurnWindow(HOUR, 5 * MINUTE, 14.4, "critical"),
    BurnWindow(6 * HOUR, 30 * MINUTE, 6, "critical"),
    BurnWindow(DAY, 2 * HOUR, 3, "warning"),
    BurnWindow(3 * DAY, 6 * HOUR, 1, "warning"),
)


def runbook(cfg: Config, alert: str) -> str:
    """The alert's section of docs/runbooks.md, where the config says it is published."""
    return f"{cfg.runbook_url}#{alert.lower()}"


def _num(value: float) -> str:
    return fmt_number(round(value, 10))


def _alert(q: Queries, name: str, expr: str, severity: str, summary: str, description: str,
           hold: float | None = None, labels: dict | None = None, at_least: float = 0) -> dict:
    rule: dict = {"alert": name, "expr": expr}
    if hold:
        held = q.windows.hold(hold)
        rule["for"] = durations.text(max(durations.seconds(held), at_least))
    rule["labels"] = {"severity": severity, **(labels or {})}
    rule["annotations"] = {"summary": summary, "description": description,
                           "runbook_url": runbook(q.cfg, name)}
    return rule


def _on(q: Queries, *labels: str) -> str:
    return ", ".join(q.fleet_by(labels))


# --- SLO alerts -----------------------------------------------------------------------

#: (group, SLI builder, alert texts) of the SLO alerts.
SLO_ALERTS: tuple[tuple[str, Callable[[Queries], sli.Sli], dict], ...] = (
    ("plano-slo-availability", sli.availability,
     {"alert": "PlanoProviderErrorBudgetBurn", "who": "provider {{ $labels.provider }}",
      "what": "of LLM calls failed (5xx or transport error, brightstaff)"}),
    ("plano-slo-availability", sli.cluster_availability,
     {"alert": "PlanoClusterErrorBudgetBurn",
      "who": "provider cluster {{ $labels.envoy_cluster_name }}",
      "what": "of upstream attempts got a 5xx (Envoy)"}),
    ("plano-slo-ttft", sli.ttft,
     {"alert": "PlanoProviderTTFTBudgetBurn", "who": "provider {{ $labels.provider }}",
      "what": "of requests waited over {threshold} s for a first token"}),
)


def _objective_text(s: sli.Sli, term: sli.Term) -> str:
    o = term.objectives
    text = f"{s.objective(o) * 100:.4g} %"
    if s.counted_is_good:
        text += f" under {fmt_number(o.ttft_threshold_seconds)} s"
    return text + ("" if term.where == "slo" else f" ({term.where})")


def _burn_alert(q: Queries, s: sli.Sli, term: sli.Term, texts: dict, severity: str) -> dict:
    w = q.windows
    budget = 1 - s.objective(term.objectives)
    sel = term.record_matchers()
    pick = (lambda record: f"{record}{{{sel}}}") if sel else (lambda record: record)
    terms = []
    for bw in BURN_WINDOWS:
        if bw.severity != severity:
            continue
        limit = _num(bw.factor * budget)
        short, long = w.window(bw.short), w.window(bw.long)
        # short window first: the alert's value ({{ $value }}) is the current burn; the
        # long window must hold min_events events, or its ratio is not evidence yet
        terms.append(f"({pick(s.record('ratio', short))} > {limit} and "
                     f"{pick(s.record('ratio', long))} > {limit} and "
                     f"{pick(s.record('events', long))} >= {term.objectives.min_events})")
    kind = "page" if severity == "critical" else "ticket"
    pairs = " or ".join(f"{_num(bw.factor)}× ({durations.text(bw.long)}/"
                        f"{durations.text(bw.short)})"
                        for bw in BURN_WINDOWS if bw.severity == severity)
    who = texts["who"] + (" model {{ $labels.model }}" if term.model else "")
    what = texts["what"].format(threshold=fmt_number(term.objectives.ttft_threshold_seconds or 0))
    description = (
        f"{who}: {{{{ $value | humanizePercentage }}}} {what} over the last "
        f"{durations.text(min(bw.short for bw in BURN_WINDOWS if bw.severity == severity))} "
        f"or longer. Objective {_objective_text(s, term)}: the error budget burns at {pairs}, "
        f"fast enough to {kind} (a 30-day budget would last "
        f"{'hours' if kind == 'page' else 'days'}); at least {term.objectives.min_events} "
        f"requests in the long window.")
    return _alert(q, texts["alert"], "\nor\n".join(terms), severity,
                  f"{who} is burning its error budget ({kind})", description)


def _slo_groups(q: Queries) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for group, build, texts in SLO_ALERTS:
        s = build(q)
        rules = groups.setdefault(group, [])
        rules += s.rules(q.windows)
        for severity in ("critical", "warning"):
            rules += [_burn_alert(q, s, term, texts, severity) for term in s.terms]
    return [{"name": name, "rules": rules} for name, rules in groups.items()]


# --- symptoms -----------------------------------------------------------------------

def _up(jobs: str, extra: str) -> str:
    parts = [f'job=~"{jobs}"'] + ([extra] if extra else [])
    return f"up{{{','.join(parts)}}}"


#: Seconds a fresh Prometheus may run before its first scrape lands: discovered targets
#: reach the scrape loops on 5 s ticks, twice (prometheus/prometheus discovery/manager.go
#: ``updatert: 5 * time.Second``, scrape/manager.go ``reloader``). An absence alert held
#: for less pages on every restart; shipped holds (10 m) are far above it, scaled test
#: windows are not.
STARTUP = 10


#: How long an installation that stopped reporting is still expected back (nominal): after
#: that, PlanoMetricsAbsent takes it for decommissioned and stops firing for it.
REMEMBER = DAY


def _absent(q: Queries, metric: c.Metric) -> str:
    """No series of ``metric``: at all, or (with a fleet label) from one installation that
    reported within :data:`REMEMBER` while the others still do."""
    selector = q.rule_selector(metric)
    label = q.cfg.fleet.label
    if not label:
        return f"absent({selector})"
    return (f"(group by ({label}) (present_over_time({selector}[{q.windows.window(REMEMBER)}])) "
            f"unless group by ({label}) ({selector})) or absent({selector})")


def _targets_down(q: Queries) -> list[dict]:
    sel = q.cfg.selectors
    text = ("Scrapes of {{ $labels.instance }} (job {{ $labels.job }}) fail. Every Plano panel "
            "and alert is blind for this instance, so an outage there would not page.")
    return [_alert(q, "PlanoTargetDown", f"{_up(jobs, extra)} == 0", "critical",
                   "Prometheus cannot scrape Plano target {{ $labels.job }}/{{ $labels.instance }}",
                   text, hold=5 * MINUTE, labels={"component": component})
            for component, jobs, extra in (("envoy", ENVOY_JOBS, sel.envoy),
                                           ("brightstaff", BRIGHTSTAFF_JOBS, sel.brightstaff))]


def _all_failing(q: Queries) -> str:
    """The healthiest provider's error ratio over the shortest window, every model of it
    (model overrides have series of their own: summed back by provider)."""
    s = sli.availability(q)
    window = q.windows.window(sli.BASE)
    counted, events = s.record("counted", window), s.record("events", window)
    return (f"min without (provider) (sum without (model) ({counted} or {events} * 0) / "
            f"sum without (model) ({events}))")


def _symptoms(q: Queries) -> dict:
    cfg, w = q.cfg, q.windows
    crit_errors = cfg.slo.error_ratio.critical
    zero = cfg.slo.zero_tokens.critical
    ten, fifteen = w.window(10 * MINUTE), w.window(15 * MINUTE)
    failed_by_class = q.rule_rate(c.BS_LLM_UPSTREAM_REQUESTS, ten,
                                  by=("provider", "status_class", "error_class"),
                                  status_class="=~5xx|error")
    cluster = ("envoy_cluster_name",)
    installation = (" installation {{ $labels." + cfg.fleet.label + " }}"
                    if cfg.fleet.label else " at all")
    rules = [
        *_targets_down(q),
        _alert(q, "PlanoMetricsAbsent", _absent(q, c.SERVER_LIVE), "critical",
               f"No Envoy metrics from Plano{installation}",
               "No series envoy_server_live exists: Prometheus scrapes no Plano Envoy (target "
               "gone from service discovery, wrong job, or relabelled away), so every "
               "Envoy-based alert is silent.", hold=10 * MINUTE, labels={"component": "envoy"},
               at_least=STARTUP + cfg.scrape_interval),
        _alert(q, "PlanoMetricsAbsent", _absent(q, c.BS_BUILD_INFO), "critical",
               f"No brightstaff metrics from Plano{installation}",
               "No series brightstaff_build_info exists: Prometheus scrapes no brightstaff "
               "(:9092), so every per-provider and per-model alert is silent.",
               hold=10 * MINUTE, labels={"component": "brightstaff"},
               at_least=STARTUP + cfg.scrape_interval),
        _alert(q, "PlanoAllProvidersFailing",
               f"{_all_failing(q)} > {_num(crit_errors)}",
               "critical", "Every LLM provider is failing at once",
               f"The provider with the lowest error ratio still fails {{{{ $value | "
               f"humanizePercentage }}}} of calls (> {_num(crit_errors * 100)} %). When all "
               "providers fail together the cause is rarely the providers: look at Plano itself, "
               "its egress (DNS, proxy, TLS) or shared credentials.", hold=5 * MINUTE),
        _alert(q, "PlanoProviderRateLimited",
               q.share(q.rule_rate(c.UPSTREAM_RQ_CODE, fifteen, by=cluster,
                                   envoy_cluster_name=_PROVIDER_CLUSTERS, envoy_response_code="429"),
                       q.rule_rate(c.UPSTREAM_RQ_COMPLETED, fifteen, by=cluster,
                                   envoy_cluster_name=_PROVIDER_CLUSTERS))
               + f" > {_num(RATE_LIMITED_RATIO)}",
               "warning", "Provider cluster {{ $labels.envoy_cluster_name }} is rate limiting Plano",
               "{{ $value | humanizePercentage }} of attempts to {{ $labels.envoy_cluster_name }} "
               f"come back 429 (> {_num(RATE_LIMITED_RATIO * 100)} %). This is the provider "
               "throttling (quota or rate tier), kept apart from 5xx: it needs a quota, a key "
               "or a fallback, not an incident with the provider.", hold=15 * MINUTE),
        _alert(q, "PlanoRateLimiterRejecting",
               q.share(q.rule_rate(c.RATELIMITED_RQ, fifteen, by=("job",)),
                       q.rule_rate(c.INPUT_SEQUENCE_LENGTH, fifteen, "_count", ("job",)))
               + f" > {_num(crit_errors)}",
               "warning", "Plano's own rate limiter rejects {{ $value | humanizePercentage }} of requests",
               "Plano's token rate limiter (ratelimited_rq) answers 429 to "
               "{{ $value | humanizePercentage }} of requests in job {{ $labels.job }} "
               f"(> {_num(crit_errors * 100)} %). Callers see errors that no provider caused; "
               "the limits in Plano's config may be too low for the traffic.", hold=15 * MINUTE),
        _alert(q, "PlanoZeroTokenResponses",
               q.share(q.rule_rate(c.OUTPUT_SEQUENCE_LENGTH, fifteen, "_bucket", ("job",), le="0.5"),
                       q.rule_rate(c.OUTPUT_SEQUENCE_LENGTH, fifteen, "_count", ("job",)))
               + f" > {_num(zero)}",
               "warning", "{{ $value | humanizePercentage }} of responses carry no output tokens",
               "The llm_gateway filter records 0 output tokens for {{ $value | humanizePercentage }} "
               f"of responses in job {{{{ $labels.job }}}} (> {_num(zero * 100)} %): errors passed "
               "through, or streams that closed without content. Users get empty answers even "
               "where the status is 200.", hold=15 * MINUTE),
        _alert(q, "PlanoTokenUsageMissing",
               q.ratio(q.rule_rate(c.BS_LLM_USAGE_MISSING, fifteen, by=("provider",)),
                       q.rule_rate(c.BS_LLM_UPSTREAM_REQUESTS, fifteen, by=("provider",),
                                   status_class="2xx"))
               + f" > {_num(zero)}",
               "warning", "Provider {{ $labels.provider }} responses lack a usage block",
               "{{ $value | humanizePercentage }} of successful responses from "
               f"{{{{ $labels.provider }}}} have no usage block (> {_num(zero * 100)} %): token "
               "counts, cost and cache panels undercount this provider, and token rate limits "
               "cannot charge it.", hold=15 * MINUTE),
        _alert(q, "PlanoUpstreamErrorsByClass",
               f"{failed_by_class} / on ({_on(q, 'provider')}) group_left () "
               f"{q.rule_rate(c.BS_LLM_UPSTREAM_REQUESTS, ten, by=('provider',))} > {_num(crit_errors)}",
               "warning",
               "Provider {{ $labels.provider }}: {{ $labels.status_class }}/{{ $labels.error_class }} errors",
               "{{ $value | humanizePercentage }} of calls to {{ $labels.provider }} fail with "
               "status_class={{ $labels.status_class }} error_class={{ $labels.error_class }} "
               f"(> {_num(crit_errors * 100)} %). error_class=none is an HTTP error the provider "
               "returned (Plano's shipped brightstaff dashboard filters these out); timeout, "
               "connect, parse, stream and other are transport failures with no HTTP status.",
               hold=10 * MINUTE),
    ]
    return {"name": "plano-symptoms", "rules": rules}


def groups(cfg: Config) -> list[dict]:
    q = Queries(cfg)  # the config's selectors, fleet label, windows and runbook links
    return [*_slo_groups(q), _symptoms(q)]
