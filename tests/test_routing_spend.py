"""brightstaff's routing families in the catalogue and simulator, the variables a dashboard
picks, and the query builders the routing and spend dashboards use."""

from __future__ import annotations

import re
import time

import attr
import pytest

from plano_grafana.build import templating
from plano_grafana.build.queries import Queries, QueryError
from plano_grafana.model import catalogue as c
from plano_grafana.model import config
from plano_grafana.simulate.exposition import Registry
from plano_grafana.simulate.profiles import DEFAULT_PROVIDERS, Profile, RoutingProfile
from plano_grafana.simulate.simulator import Simulator
from plano_grafana.simulate.truth import routing_truth

q = Queries(config.DEFAULT)


def test_routing_families_as_brightstaff_defines_them():
    """Names, types, labels, buckets and HELP from crates/brightstaff/src/metrics."""
    assert c.BS_ROUTER_DURATION.buckets == (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
                                            10, 30)
    assert c.BS_HTTP_DURATION.buckets == c.BRIGHTSTAFF_HTTP_BUCKETS
    assert c.BS_ROUTER_DECISIONS.labels == ("route", "selected_model", "fallback")
    assert c.BS_HTTP_REQUESTS.labels == ("handler", "method", "status_class")
    assert c.BS_HTTP_IN_FLIGHT.kind is c.Kind.GAUGE
    assert c.BS_SESSION_CACHE_EVENTS.label_values("outcome") == (
        "hit", "miss", "store", "error", "store_error")
    assert c.BS_SESSION_SWITCH_DECISIONS.label_values("reason") == (
        "same_anchor", "free", "within_cap", "over_cap", "no_pricing")
    assert c.BS_ROUTER_DECISIONS.label_values("selected_model") == ()  # open set
    assert c.BS_ROUTING_SERVICE_REQUESTS.help.startswith("Outcomes of /routing/* decision")
    assert c.BS_ROUTER_SKIPS.help == c.BS_SESSION_SWITCH_DECISIONS.help == ""  # undescribed
    assert not any(name.startswith("process_") for name in c.CATALOGUE)
    assert c.PRICE.source is c.BILLED.source is c.Source.RULES


def test_label_values_are_checked():
    with pytest.raises(ValueError, match="does not have"):
        c.Metric("x_total", c.Kind.COUNTER, "short", c.Source.BRIGHTSTAFF, "h",
                 labels=("a",), values={"b": ("1",)})
    registry = Registry([c.BS_SESSION_CACHE_EVENTS])
    with pytest.raises(ValueError, match="outcome='hitt' is not one of"):
        registry.inc(c.BS_SESSION_CACHE_EVENTS, outcome="hitt")


def test_undescribed_families_have_no_help_line():
    sim = Simulator(Profile(seed=3))
    sim.step(5)
    text = sim.brightstaff.render("brightstaff")
    assert "# TYPE brightstaff_router_skips_total counter" in text
    assert "# HELP brightstaff_router_skips_total" not in text
    assert ("# HELP brightstaff_session_binding_events_total Session binding lifecycle events, "
            "by event (currently: refresh).") in text
    assert re.search(r'^brightstaff_router_decisions_total\{route="llm",selected_model="openai/'
                     r'gpt-4o",fallback="false"\} \d+$', text, re.M)
    assert 'brightstaff_router_decision_duration_seconds_bucket{route="llm",le="0.005"}' in text
    assert "process_" not in text and "plano:" not in sim.envoy.render("envoy")


def test_routing_traffic_leaves_the_llm_traffic_unchanged():
    a = Simulator(Profile(seed=9))
    b = Simulator(Profile(seed=9), RoutingProfile(p_agent=0.5, p_routing_api=0.9, p_session=0))
    a.step(3)
    b.step(3)
    assert a.envoy.render("envoy") == b.envoy.render("envoy")
    assert a.brightstaff.render("brightstaff") != b.brightstaff.render("brightstaff")


def test_proportions_follow_the_routing_profile():
    rp = RoutingProfile()
    sim = Simulator(Profile(rate=200, seed=21), rp)
    sim.step(60)  # ~12 000 LLM requests
    truth = routing_truth(sim.truth, 0, time.time() + 1)
    routed = 1 - rp.p_skip
    # fallbacks: no route on LLM requests, plus no_candidates and errors on /routing
    llm_fallback = rp.p_no_route * routed
    api = rp.p_routing_api
    api_fallback = rp.p_policy_error + rp.p_no_candidates + \
        (1 - rp.p_policy_error - rp.p_no_candidates) * routed * rp.p_no_route
    api_decisions = rp.p_policy_error + rp.p_no_candidates + \
        (1 - rp.p_policy_error - rp.p_no_candidates) * routed
    want_fallback = (llm_fallback + api * api_fallback) / (routed + api * api_decisions)
    assert truth["fallback_ratio"] == pytest.approx(want_fallback, abs=0.01)
    looked_up = 1 - rp.p_session_error
    assert truth["session_cache"]["hit_ratio"] == pytest.approx(rp.p_session_hit, abs=0.02)
    assert truth["session_cache"]["error"] / (truth["session_cache"]["hit"]
                                               + truth["session_cache"]["miss"]
                                               + truth["session_cache"]["error"]) == \
        pytest.approx(1 - looked_up, abs=0.01)
    shares = truth["routing_outcome_share"]
    assert shares["policy_error"] == pytest.approx(rp.p_policy_error, abs=0.01)
    assert shares["no_candidates"] == pytest.approx(rp.p_no_candidates, abs=0.015)
    assert truth["http"]["routing_decision"]["ratio_5xx"] == pytest.approx(rp.p_policy_error,
                                                                           abs=0.01)
    assert set(truth["http"]) == set(c.BS_HANDLERS)
    assert {"none", "unknown", "openai/gpt-4o"} <= set(truth["decisions_per_s"])
    assert truth["decision_seconds"]["p50"] == pytest.approx(rp.decision_median_s, rel=0.1)


def test_anthropic_prompt_count_leaves_cache_tokens_out():
    """Same seed twice, once as if every provider spoke OpenAI's API (cache tokens inside
    prompt): Anthropic's prompt total drops by exactly its cache tokens, OpenAI's is
    unchanged."""
    def totals(providers=DEFAULT_PROVIDERS) -> dict:
        sim = Simulator(Profile(seed=5, providers=providers))
        sim.step(20)
        return {(p, kind): sum(sim.truth.values(c.BS_LLM_TOKENS.name, 0, None, provider=p,
                                                kind=kind))
                for p in ("anthropic", "openai") for kind in c.BS_TOKEN_KINDS}

    as_plano = totals()
    all_inclusive = totals(tuple(attr.evolve(p, interface="openai") for p in DEFAULT_PROVIDERS))
    cached = as_plano[("anthropic", "cache_read")] + as_plano[("anthropic", "cache_write")]
    assert cached > 0
    assert as_plano[("anthropic", "prompt")] == all_inclusive[("anthropic", "prompt")] - cached
    assert as_plano[("openai", "prompt")] == all_inclusive[("openai", "prompt")]


def test_a_dashboard_picks_shared_variables_and_adds_its_own():
    own = templating.query_variable("route", "Route", "label_values(x, route)")
    names = [v.name for v in templating.variables(q, templating.BRIGHTSTAFF_VARIABLES, [own])]
    assert names == ["datasource", "bs_job", "bs_instance", "provider", "model", "route"]
    assert [v.name for v in templating.variables(q)][:4] == ["datasource", "job", "instance",
                                                            "cluster"]
    with pytest.raises(ValueError, match="no shared template variable"):
        templating.variables(q, ["bs_jb"])


def test_builders_of_the_new_dashboards():
    assert q.share_by(c.BS_ROUTING_SERVICE_REQUESTS, "outcome") == (
        'sum by (outcome) (rate(brightstaff_routing_service_requests_total{job=~"$bs_job",'
        'instance=~"$bs_instance"}[$__rate_interval])) / ignoring(outcome) group_left '
        'sum(rate(brightstaff_routing_service_requests_total{job=~"$bs_job",'
        'instance=~"$bs_instance"}[$__rate_interval]))')
    fleet = Queries(config.parse({"fleet": {"label": "k8s_cluster"}}))
    priced = fleet.priced(c.BS_LLM_TOKENS, c.BILLED, by=("provider",))
    restarts = fleet.restarts_in_range(c.BS_HTTP_REQUESTS)
    # the price side follows no variable and no fleet matcher: prices are global
    assert "max by (provider, model, kind) (plano:llm_billed_usd_per_token{})" in priced
    assert priced.startswith("sum by (provider, k8s_cluster) (")
    assert restarts.startswith("sum by (instance, k8s_cluster) (max by (instance, k8s_cluster) "
                               "(resets(brightstaff_http_requests_total{")
    with pytest.raises(QueryError, match="rate or increase"):
        q.priced(c.BS_LLM_TOKENS, c.BILLED, func="irate")


def test_truth_endpoint_reports_routing():
    import json
    import urllib.request

    from plano_grafana.simulate.servers import Servers

    sim = Simulator(Profile(seed=5))
    sim.step(2)
    servers = Servers(sim, envoy_port=0, brightstaff_port=0).start()
    try:
        with urllib.request.urlopen(f"http://{servers.envoy_address}/truth?window=600") as r:
            body = json.load(r)
    finally:
        servers.stop()
    routing = body["routing"]
    assert 0 < routing["fallback_ratio"] < 1 and routing["decisions_per_s"]["none"] > 0
    assert set(routing["session_cache"]) == {"hit_ratio", *c.BS_SESSION_CACHE_OUTCOMES}
    assert routing["http"]["llm_chat"]["rate"] > 0
