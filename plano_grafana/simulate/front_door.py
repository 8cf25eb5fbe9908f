"""brightstaff's front door: HTTP RED, routing decisions, session affinity, the /routing API.

The LLM traffic (:mod:`plano_grafana.simulate.simulator`) calls :meth:`FrontDoor.request`
once per client request; everything brightstaff records *around* that call (which
handler took it, the router's decision and its time, the session cache, the other
handlers' traffic that arrives alongside) is here, modelled on
``crates/brightstaff/src/metrics/mod.rs`` of Plano 0.4.36 (docs/metrics.md).

It draws from its own random stream, so adding or changing routing traffic leaves the
seeded LLM traffic, and every panel checked against it, unchanged.
"""

from __future__ import annotations

import math
import random

from plano_grafana.model import catalogue as c
from plano_grafana.simulate.exposition import Registry
from plano_grafana.simulate.profiles import Provider, RoutingProfile


def poisson(rng: random.Random, lam: float, normal_above: float = math.inf) -> int:
    """A Poisson draw with mean ``lam``; above ``normal_above`` its normal approximation
    (Knuth's product method needs ``exp(-lam)`` above the float's smallest value)."""
    if lam > normal_above:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    threshold, k, prod = math.exp(-lam), 0, rng.random()
    while prod > threshold:
        k += 1
        prod *= rng.random()
    return k


class FrontDoor:
    """What brightstaff records around each LLM request, into its registry."""

    def __init__(self, brightstaff: Registry, routing: RoutingProfile, rate: float, seed: int):
        self.brightstaff = brightstaff
        self.routing = routing
        self.rate = rate
        self._rng = random.Random(seed * 7919 + 1)
        self._init_series()

    def _init_series(self) -> None:
        bs = self.brightstaff
        for handler in c.BS_HANDLERS:
            bs.set(c.BS_HTTP_IN_FLIGHT, 0, handler=handler)
        bs.inc(c.BS_ROUTER_SKIPS, 0, reason="not_user_turn")
        for outcome in c.BS_ROUTING_OUTCOMES:
            bs.inc(c.BS_ROUTING_SERVICE_REQUESTS, 0, outcome=outcome)
        for outcome in c.BS_SESSION_CACHE_OUTCOMES:
            bs.inc(c.BS_SESSION_CACHE_EVENTS, 0, outcome=outcome)
        bs.inc(c.BS_SESSION_BINDING_EVENTS, 0, event="refresh")

    def request(self, provider: Provider, model: str, status: int, head_s: float,
                ok: bool) -> None:
        """brightstaff's view of one LLM request (llm_chat or agent_chat), plus the other
        handlers' traffic that arrives alongside it."""
        rng, rr = self._rng, self.routing
        handler = "agent_chat" if rng.random() < rr.p_agent else "llm_chat"
        routing_s, session = self._route(f"{provider.provider}/{model}")
        if ok and session is not None:  # the turn completed: binding refreshed and re-stored
            self.brightstaff.inc(c.BS_SESSION_BINDING_EVENTS, event="refresh")
            self._store()
        self._http(handler, "POST", status, routing_s + head_s + self._overhead())
        if rng.random() < rr.p_routing_api:
            self._routing_api(f"{provider.provider}/{model}")
        for p_extra, handler, method, status in (
                (rr.p_function_calling, "function_calling", "POST", 200),
                (rr.p_list_models, "list_models", "GET", 200),
                (rr.p_cors, "cors_preflight", "OPTIONS", 204),
                (rr.p_not_found, "not_found", "GET", 404)):
            if rng.random() < p_extra:
                self._http(handler, method, status, self._overhead())

    def in_flight_tick(self) -> None:
        """In-flight requests per handler by Little's law: arrival rate × mean head time."""
        rr, rate = self.routing, self.rate
        head = 0.3 + rr.decision_median_s  # a streaming head, roughly, plus the decision
        for handler, share, seconds in (
                ("llm_chat", 1 - rr.p_agent, head), ("agent_chat", rr.p_agent, head),
                ("routing_decision", rr.p_routing_api, rr.decision_median_s)):
            level = poisson(self._rng, rate * share * seconds)
            self.brightstaff.set(c.BS_HTTP_IN_FLIGHT, level, handler=handler)

    def _http(self, handler: str, method: str, status: int, seconds: float) -> None:
        """metrics::record_http: one request and its time to response head."""
        cls = f"{status // 100}xx" if 100 <= status < 600 else "other"
        self.brightstaff.inc(c.BS_HTTP_REQUESTS, handler=handler, method=method, status_class=cls)
        self.brightstaff.observe(c.BS_HTTP_DURATION, seconds, handler=handler)

    def _decide(self, selected: str, fallback: bool) -> float:
        """metrics::record_router_decision; returns the orchestrator's time."""
        rr = self.routing
        seconds = self._rng.lognormvariate(math.log(rr.decision_median_s), rr.decision_sigma)
        self.brightstaff.inc(c.BS_ROUTER_DECISIONS, route="llm", selected_model=selected,
                             fallback="true" if fallback else "false")
        self.brightstaff.observe(c.BS_ROUTER_DURATION, seconds, route="llm")
        return seconds

    def _session(self) -> str | None:
        """Session affinity around one routed request: lookup, switch decision, store.
        Returns the lookup outcome, or None when the request carries no session."""
        rng, rr, bs = self._rng, self.routing, self.brightstaff
        if rng.random() >= rr.p_session:
            return None
        u = rng.random()
        outcome = "error" if u < rr.p_session_error else \
            "hit" if u < rr.p_session_error + (1 - rr.p_session_error) * rr.p_session_hit else "miss"
        bs.inc(c.BS_SESSION_CACHE_EVENTS, outcome=outcome)
        if outcome == "hit":
            reasons, weights = zip(*rr.switch_reasons, strict=True)
            reason = rng.choices(reasons, weights)[0]
            bs.inc(c.BS_SESSION_SWITCH_DECISIONS, reason=reason,
                   decision="retained" if reason == "over_cap" else "allowed")
        self._store()
        return outcome

    def _store(self) -> None:
        failed = self._rng.random() < self.routing.p_store_error
        self.brightstaff.inc(c.BS_SESSION_CACHE_EVENTS, outcome="store_error" if failed else "store")

    def _route(self, selected: str) -> tuple[float, str | None]:
        """Skip or decide, then session affinity: (seconds spent, session lookup outcome)."""
        rng, rr = self._rng, self.routing
        if rng.random() < rr.p_skip:
            self.brightstaff.inc(c.BS_ROUTER_SKIPS, reason="not_user_turn")
            seconds = 0.0
        elif rng.random() < rr.p_no_route:
            seconds = self._decide("none", fallback=True)
        else:
            seconds = self._decide(selected, fallback=False)
        return seconds, self._session()

    def _overhead(self) -> float:
        return self._rng.lognormvariate(math.log(self.routing.overhead_median_s), 0.3)

    def _routing_api(self, candidate: str) -> None:
        """POST /routing/v1/chat/completions: a decision without an LLM call."""
        rng, rr, bs = self._rng, self.routing, self.brightstaff
        u = rng.random()
        if u < rr.p_policy_error:
            seconds = self._decide("unknown", fallback=True)
            bs.inc(c.BS_ROUTING_SERVICE_REQUESTS, outcome="policy_error")
            self._http("routing_decision", "POST", 500, seconds + self._overhead())
            return
        if u < rr.p_policy_error + rr.p_no_candidates:
            seconds = self._decide("none", fallback=True)
            outcome = "no_candidates"
        else:
            seconds, _ = self._route(candidate)
            outcome = "decision_served"
        bs.inc(c.BS_ROUTING_SERVICE_REQUESTS, outcome=outcome)
        self._http("routing_decision", "POST", 200, seconds + self._overhead())
