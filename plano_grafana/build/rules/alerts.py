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
names, which its Alertmanager routes on). The error ratio of each window is recorded
once per evaluation (as Sloth does) and the alerts compare records. Objectives come from
the config's ``[slo]``: availability (5xx and transport errors against all upstream
requests, from brightstaff per provider and from Envoy per provider cluster) and TTFT
(the share of requests slower than ``ttft_threshold_seconds``, read from one ``le``
bucket, so the threshold must be a bucket boundary).

Every window is :mod:`plano_grafana.model.windows`'s: scaled for tests, never shorter than four
scrape intervals. Every alert has ``severity``, ``summary``, ``description`` (with the
reason it matters) and ``runbook_url`` pointing at its section of ``docs/runbooks.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import attr

from plano_grafana.build.queries import Queries
from plano_grafana.model import catalogue as c
from plano_grafana.model import windows
from plano_grafana.model.config import Config, ConfigError
from plano_grafana.model.numbers import fmt_number

#: Scrape jobs of Envoy (this package's ``prometheus-config`` says ``plano``, Plano's own
#: scrape file ``envoy``) and of brightstaff.
ENVOY_JOBS = "plano|envoy"
BRIGHTSTAFF_JOBS = "brightstaff"
#: A provider throttling one request in ten is out of quota or rate tier.
RATE_LIMITED_RATIO = 0.10

MINUTE, HOUR, DAY = 60, 3600, 86400


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
           hold: float | None = None, labels: dict | None = None) -> dict:
    rule: dict = {"alert": name, "expr": expr}
    if hold:
        rule["for"] = q.windows.hold(hold)
    rule["labels"] = {"severity": severity, **(labels or {})}
    rule["annotations"] = {"summary": summary, "description": description,
                           "runbook_url": runbook(q.cfg, name)}
    return rule


def _by(q: Queries, *labels: str) -> tuple[str, ...]:
    return q.fleet_by(labels)


def _on(q: Queries, *labels: str) -> str:
    return ", ".join(_by(q, *labels))


# --- SLIs ---------------------------------------------------------------------------

@attr.s(frozen=True)
class Sli:
    """An error ratio over any window (recorded as ``<level>:<name>:ratio_rate<window>``,
    Sloth's layout) and the objective whose budget it burns."""

    name: str = attr.ib()
    level: str = attr.ib()
    objective: float = attr.ib()
    ratio: Callable[[str], str] = attr.ib()  # window -> PromQL

    def record(self, window: str) -> str:
        return f"{self.level}:{self.name}:ratio_rate{window}"


#: brightstaff's error ratio per provider: name and level of its records.
_BS_ERRORS = ("brightstaff_llm_upstream_errors", "provider")


def _bs_errors(q: Queries, window: str) -> str:
    bad = q.rule_rate(c.BS_LLM_UPSTREAM_REQUESTS, window, by=("provider",),
                      status_class="=~5xx|error")
    return q.share(bad, q.rule_rate(c.BS_LLM_UPSTREAM_REQUESTS, window, by=("provider",)))


_PROVIDER_CLUSTERS = "!~" + "|".join(c.INTERNAL_CLUSTERS)


def _envoy_errors(q: Queries, window: str) -> str:
    by = ("envoy_cluster_name",)
    bad = q.rule_rate(c.UPSTREAM_RQ_XX, window, by=by, envoy_cluster_name=_PROVIDER_CLUSTERS,
                      envoy_response_code_class="5")
    total = q.rule_rate(c.UPSTREAM_RQ_TOTAL, window, by=by, envoy_cluster_name=_PROVIDER_CLUSTERS)
    return q.share(bad, total)


def ttft_threshold(cfg: Config) -> float:
    """The configured TTFT threshold; a value between bucket boundaries is refused, because
    the share of slower requests is read from exactly one ``le`` bucket."""
    value = cfg.slo.ttft_threshold_seconds
    if value not in c.BS_LLM_TTFT.buckets:
        bounds = ", ".join(fmt_number(b) for b in c.BS_LLM_TTFT.buckets)
        raise ConfigError(f"{cfg.source}: slo.ttft_threshold_seconds: {fmt_number(value)} is not "
                          f"a bucket boundary of {c.BS_LLM_TTFT.name} (one of {bounds})")
    return value


def _ttft_slow(q: Queries, threshold: float):
    def ratio(window: str) -> str:
        fast = q.rule_rate(c.BS_LLM_TTFT, window, "_bucket", ("provider",),
                           le=fmt_number(threshold))
        total = q.rule_rate(c.BS_LLM_TTFT, window, "_count", ("provider",))
        return f"1 - {fast} / {total}"
    return ratio


def slis(q: Queries) -> list[tuple[str, Sli, dict]]:
    """(group name, SLI, alert texts) of the SLO alerts."""
    cfg = q.cfg
    threshold = ttft_threshold(cfg)
    availability = cfg.slo.availability_objective
    return [
        ("plano-slo-availability",
         Sli(*_BS_ERRORS, availability, partial(_bs_errors, q)),
         {"alert": "PlanoProviderErrorBudgetBurn", "who": "provider {{ $labels.provider }}",
          "what": "of LLM calls failed (5xx or transport error, brightstaff)",
          "objective": f"{availability * 100:.4g} %"}),
        ("plano-slo-availability",
         Sli("envoy_cluster_upstream_errors", "cluster", availability, partial(_envoy_errors, q)),
         {"alert": "PlanoClusterErrorBudgetBurn",
          "who": "provider cluster {{ $labels.envoy_cluster_name }}",
          "what": "of upstream attempts got a 5xx (Envoy)",
          "objective": f"{availability * 100:.4g} %"}),
        ("plano-slo-ttft",
         Sli("brightstaff_llm_ttft_over_threshold", "provider", cfg.slo.ttft_objective,
             _ttft_slow(q, threshold)),
         {"alert": "PlanoProviderTTFTBudgetBurn", "who": "provider {{ $labels.provider }}",
          "what": f"of requests waited over {fmt_number(threshold)} s for a first token",
          "objective": f"{cfg.slo.ttft_objective * 100:.4g} % under {fmt_number(threshold)} s"}),
    ]


def _burn_alert(q: Queries, sli: Sli, texts: dict, severity: str) -> dict:
    w = q.windows
    budget = 1 - sli.objective
    terms = []
    for bw in BURN_WINDOWS:
        if bw.severity != severity:
            continue
        limit = _num(bw.factor * budget)
        # short window first: the alert's value ({{ $value }}) is the current burn
        terms.append(f"({sli.record(w.window(bw.short))} > {limit} and "
                     f"{sli.record(w.window(bw.long))} > {limit})")
    kind = "page" if severity == "critical" else "ticket"
    pairs = " or ".join(f"{_num(bw.factor)}× ({windows.duration(bw.long)}/"
                        f"{windows.duration(bw.short)})"
                        for bw in BURN_WINDOWS if bw.severity == severity)
    description = (
        f"{texts['who']}: {{{{ $value | humanizePercentage }}}} {texts['what']} over the last "
        f"{windows.duration(min(bw.short for bw in BURN_WINDOWS if bw.severity == severity))} "
        f"or longer. Objective {texts['objective']}: the error budget burns at {pairs}, "
        f"fast enough to {kind} (a 30-day budget would last "
        f"{'hours' if kind == 'page' else 'days'}).")
    return _alert(q, texts["alert"], "\nor\n".join(terms), severity,
                  f"{texts['who']} is burning its error budget ({kind})", description)


def _slo_groups(q: Queries) -> list[dict]:
    w = q.windows
    groups: dict[str, list[dict]] = {}
    for group, sli, texts in slis(q):
        rules = groups.setdefault(group, [])
        nominal = sorted({s for bw in BURN_WINDOWS for s in (bw.long, bw.short)})
        for window in dict.fromkeys(w.window(s) for s in nominal):
            rules.append({"record": sli.record(window), "expr": sli.ratio(window)})
        rules.append(_burn_alert(q, sli, texts, "critical"))
        rules.append(_burn_alert(q, sli, texts, "warning"))
    return [{"name": name, "rules": rules} for name, rules in groups.items()]


# --- symptoms -----------------------------------------------------------------------

def _up(jobs: str, extra: str) -> str:
    parts = [f'job=~"{jobs}"'] + ([extra] if extra else [])
    return f"up{{{','.join(parts)}}}"


def _symptoms(q: Queries) -> dict:
    cfg, w = q.cfg, q.windows
    crit_errors = cfg.slo.error_ratio.critical
    zero = cfg.slo.zero_tokens.critical
    ten, fifteen = w.window(10 * MINUTE), w.window(15 * MINUTE)
    errors5 = Sli(*_BS_ERRORS, 0, partial(_bs_errors, q)).record(w.window(5 * MINUTE))
    sel = cfg.selectors
    failed_by_class = q.rule_rate(c.BS_LLM_UPSTREAM_REQUESTS, ten,
                                  by=("provider", "status_class", "error_class"),
                                  status_class="=~5xx|error")
    cluster = ("envoy_cluster_name",)
    rules = [
        _alert(q, "PlanoTargetDown",
               f"{_up(ENVOY_JOBS, sel.envoy)} == 0 or {_up(BRIGHTSTAFF_JOBS, sel.brightstaff)} == 0",
               "critical", "Prometheus cannot scrape Plano target {{ $labels.job }}/{{ $labels.instance }}",
               "Scrapes of {{ $labels.instance }} (job {{ $labels.job }}) fail. Every Plano panel "
               "and alert is blind for this instance, so an outage there would not page.",
               hold=5 * MINUTE),
        _alert(q, "PlanoMetricsAbsent", f"absent({q.rule_selector(c.SERVER_LIVE)})", "critical",
               "No Envoy metrics from Plano at all",
               "No series envoy_server_live exists: Prometheus scrapes no Plano Envoy (target "
               "gone from service discovery, wrong job, or relabelled away), so every "
               "Envoy-based alert is silent.", hold=10 * MINUTE, labels={"component": "envoy"}),
        _alert(q, "PlanoMetricsAbsent", f"absent({q.rule_selector(c.BS_BUILD_INFO)})", "critical",
               "No brightstaff metrics from Plano at all",
               "No series brightstaff_build_info exists: Prometheus scrapes no brightstaff "
               "(:9092), so every per-provider and per-model alert is silent.",
               hold=10 * MINUTE, labels={"component": "brightstaff"}),
        _alert(q, "PlanoAllProvidersFailing",
               f"min without (provider) ({errors5}) > {_num(crit_errors)}",
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
