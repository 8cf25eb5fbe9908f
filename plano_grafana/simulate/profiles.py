"""What the simulated Plano's traffic looks like: providers, mix, rates and faults.

Plain, frozen descriptions that :class:`plano_grafana.simulate.simulator.Simulator` turns into
requests: the default provider set (with one that never fails and one whose dotted
``base_url`` cluster Envoy mangles), brightstaff's routing behaviour, and the named
fault profiles the alert tests run.
"""

from __future__ import annotations

import attr

from plano_grafana.model import upstream
from plano_grafana.model.catalogue import PROMPT_EXCLUDES_CACHE_INTERFACES


@attr.s(frozen=True)
class Provider:
    """One configured LLM provider and how its traffic behaves."""

    cluster: str = attr.ib()  # Envoy cluster name as configured (may contain dots)
    provider: str = attr.ib()  # brightstaff provider label
    models: tuple[str, ...] = attr.ib(converter=tuple)
    weight: float = attr.ib()
    p_5xx: float = attr.ib(default=0.01)
    p_429: float = attr.ib(default=0.01)
    ttft_ms_median: float = attr.ib(default=600.0)
    ttft_sigma: float = attr.ib(default=0.5)
    ms_per_token_median: float = attr.ib(default=20.0)
    output_tokens_median: float = attr.ib(default=250.0)
    #: Plano's provider_interface (the API it speaks); "" means the provider label's own,
    #: as for Plano's built-in providers. It decides the shape of the usage block.
    interface: str = attr.ib(default="")

    @property
    def prompt_excludes_cache(self) -> bool:
        """Whether the usage leaves cache tokens out of ``prompt`` (Anthropic's shape)."""
        return (self.interface or self.provider) in PROMPT_EXCLUDES_CACHE_INTERFACES

    @property
    def stat_cluster_name(self) -> str:
        """``envoy_cluster_name`` as Envoy's tag extractor cuts it at the first dot (docs/metrics.md)."""
        return self.cluster.split(".", 1)[0]


DEFAULT_PROVIDERS: tuple[Provider, ...] = (
    Provider("openai", "openai", ("gpt-4o", "gpt-4o-mini"), 0.45, p_5xx=0.01, p_429=0.03,
             ttft_ms_median=450, ms_per_token_median=12, output_tokens_median=300),
    Provider("anthropic", "anthropic", ("claude-sonnet-4",), 0.30, p_5xx=0.04, p_429=0.01,
             ttft_ms_median=900, ttft_sigma=0.4, ms_per_token_median=22, output_tokens_median=450),
    # never a 5xx: Envoy then has no 5xx series for it, and panels must still show 0 %
    Provider("gemini", "gemini", ("gemini-2.5-flash",), 0.15, p_5xx=0.0, p_429=0.06,
             ttft_ms_median=300, ms_per_token_median=6, output_tokens_median=200),
    # base_url provider: Envoy exports it under a truncated name (Plano issue #504)
    Provider("ollama_host.docker.internal", "ollama", ("llama3.1",), 0.10, p_5xx=0.02,
             p_429=0.0, ttft_ms_median=1500, ms_per_token_median=40, output_tokens_median=150),
)


def providers_from(plano_providers) -> tuple[Provider, ...]:
    """Simulated providers for the ``model_providers`` of a Plano config (equal weights,
    the default behaviour): one per Envoy cluster and brightstaff provider, with its
    models, so that dotted ``base_url`` clusters are exported mangled as Plano's would be."""
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for p in plano_providers:
        model = p.model_id if p.model_id != "*" else f"{p.provider}-model"
        grouped.setdefault((p.cluster, p.provider, p.interface), []).append(model)
    return tuple(Provider(cluster, provider, tuple(dict.fromkeys(models)), 1.0,
                          interface=interface)
                 for (cluster, provider, interface), models in grouped.items())


@attr.s(frozen=True)
class Profile:
    """Traffic shape: request rate, mix and the gateway-level behaviours."""

    rate: float = attr.ib(default=50.0)  # client requests per second
    providers: tuple[Provider, ...] = attr.ib(default=DEFAULT_PROVIDERS, converter=tuple)
    p_stream: float = attr.ib(default=0.8)
    p_ratelimited: float = attr.ib(default=0.02)  # Plano's own token rate limiter
    input_tokens_median: float = attr.ib(default=1200.0)
    input_tokens_sigma: float = attr.ib(default=1.0)
    p_usage_missing: float = attr.ib(default=0.01)
    p_cache_hit: float = attr.ib(default=0.4)
    tokenizer_drift: float = attr.ib(default=1.08)  # provider count / gateway estimate
    seed: int = attr.ib(default=7)
    #: ``brightstaff_build_info`` labels: by default as Plano's released images report them
    #: (:mod:`plano_grafana.model.upstream`); another build for the doctor's version check.
    build_version: str = attr.ib(default=upstream.BRIGHTSTAFF_VERSION)
    build_sha: str = attr.ib(default=upstream.BRIGHTSTAFF_GIT_SHA)


@attr.s(frozen=True)
class RoutingProfile:
    """What brightstaff does in front of each LLM call: HTTP handlers, routing decisions,
    session affinity, and the ``/routing`` decision API. Probabilities are per LLM request
    unless noted; they are the proportions a test reads back from the truth log.

    Modelled on Plano 0.4.36: every routing decision is labelled ``route="llm"`` (the
    caller strips ``/agents`` and ``/routing`` before labelling); a decision with no
    matching route records ``selected_model="none"``, a router error ``"unknown"``, both
    with ``fallback="true"``; a non-user turn replays the prior decision (a skip, no
    decision). Router errors are simulated on the ``/routing`` API only, so the LLM
    traffic (and every Envoy series) stays exactly what :class:`Profile` generates.
    """

    p_agent: float = attr.ib(default=0.1)  # LLM requests arriving on /agents/* (agent_chat)
    p_skip: float = attr.ib(default=0.08)  # not a user turn: prior decision replayed
    p_no_route: float = attr.ib(default=0.1)  # no preference matched: "none", fallback
    decision_median_s: float = attr.ib(default=0.06)  # orchestrator call
    decision_sigma: float = attr.ib(default=0.7)
    p_session: float = attr.ib(default=0.6)  # requests carrying a session id
    p_session_hit: float = attr.ib(default=0.7)  # of lookups
    p_session_error: float = attr.ib(default=0.02)  # of lookups: backend failed
    p_store_error: float = attr.ib(default=0.03)  # of stores
    #: switch decisions on a warm session, by reason (over_cap retains the anchor)
    switch_reasons: tuple[tuple[str, float], ...] = attr.ib(default=(
        ("same_anchor", 0.7), ("free", 0.1), ("within_cap", 0.1), ("over_cap", 0.06),
        ("no_pricing", 0.04)), converter=tuple)
    p_routing_api: float = attr.ib(default=0.2)  # extra POST /routing/... per LLM request
    p_no_candidates: float = attr.ib(default=0.1)  # of /routing requests
    p_policy_error: float = attr.ib(default=0.03)  # of /routing requests (HTTP 500)
    p_function_calling: float = attr.ib(default=0.03)  # extra POST /function_calling
    p_list_models: float = attr.ib(default=0.05)  # extra GET /v1/models
    p_cors: float = attr.ib(default=0.02)  # extra OPTIONS /v1/models
    p_not_found: float = attr.ib(default=0.01)  # extra GET of an unknown path (404)
    #: brightstaff's own handling time (list_models, CORS, 404 take only this): well
    #: inside the first 5 ms bucket, so a handful of such requests has a stable quantile
    overhead_median_s: float = attr.ib(default=0.001)


#: The default providers well inside every objective of the shipped alerts (availability
#: 99.5 %, 99 % of TTFT under 2.5 s): no 5xx and a TTFT p99.99 under 2.5 s, so not even
#: the first seconds of a test (a handful of requests per window) can fire an alert;
#: 429s rare enough that no 4-second window reaches the 10 % rate-limited threshold.
HEALTHY_PROVIDERS: tuple[Provider, ...] = tuple(
    attr.evolve(p, p_5xx=0.0, p_429=min(p.p_429, 0.002),
                ttft_ms_median=min(p.ttft_ms_median, 600.0), ttft_sigma=min(p.ttft_sigma, 0.35))
    for p in DEFAULT_PROVIDERS)


def _outage(provider: str, p_5xx: float = 0.3, ttft_factor: float = 4.0) -> tuple[Provider, ...]:
    """Healthy providers except ``provider``: ``p_5xx`` of its calls fail, TTFT × factor."""
    return tuple(attr.evolve(p, p_5xx=p_5xx, ttft_ms_median=p.ttft_ms_median * ttft_factor)
                 if p.provider == provider else p for p in HEALTHY_PROVIDERS)


#: Named traffic shapes ("fault profiles"): what the alert tests and demos run.
PROFILES: dict[str, Profile] = {
    "default": Profile(),
    "healthy": Profile(providers=HEALTHY_PROVIDERS, p_ratelimited=0.005),
    # one provider answering 30 % 5xx with TTFT × 4: its SLO alerts page, nobody else's
    "provider-outage": Profile(providers=_outage("openai"), p_ratelimited=0.005),
    # every provider failing at once: the cause is Plano or its egress, not a provider
    "all-providers-failing": Profile(providers=tuple(
        attr.evolve(p, p_5xx=0.5) for p in HEALTHY_PROVIDERS)),
}
