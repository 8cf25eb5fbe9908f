"""Plano · Routing: what brightstaff decides in front of every LLM call, and what it costs.

Model selection by the orchestrator (decisions per route and model, fallbacks, skips),
decision time beside the upstream call it precedes, the ``/routing`` decision API,
session affinity (cache hits, stores, switch decisions), and brightstaff's own HTTP RED.
Everything comes from brightstaff's ``/metrics`` (seconds; crates/brightstaff/src/metrics).

Two facts of Plano 0.4.36 shape the panels: ``route`` is ``llm`` for every decision
(the caller strips ``/agents`` and ``/routing`` before labelling), so the ``/routing`` API
is read from ``brightstaff_routing_service_requests_total``; and brightstaff exports no
``process_*`` series (see ``catalogue.py``), so there is no CPU or memory panel.
"""

from grafanalib import core as g

from plano_grafana.build import panels
from plano_grafana.build.panels import Panels, Query
from plano_grafana.build.queries import Queries
from plano_grafana.build.templating import BRIGHTSTAFF_VARIABLES, dashboard, query_variable
from plano_grafana.model import catalogue as c
from plano_grafana.model.config import Config

UID = "plano-routing"
#: Fallback ratio thresholds from the panel guide (no SLO in the config for it).
FALLBACK_SLO = panels.slo(0.1, 0.5)
_ROUTE = {"route": "=~$route"}
_HANDLER = {"handler": "=~$handler"}


def _variables(q: Queries) -> list[g.Template]:
    return [
        query_variable("route", "Route", q.variable_values(c.BS_ROUTER_DECISIONS, "route",
                                                          job="=~$bs_job")),
        query_variable("handler", "Handler", q.variable_values(c.BS_HTTP_REQUESTS, "handler",
                                                              job="=~$bs_job")),
    ]


def build(cfg: Config) -> g.Dashboard:
    q = Queries(cfg)
    p = Panels(q)
    slo = cfg.slo
    error_slo = p.threshold(slo.error_ratio)
    decisions = q.rate(c.BS_ROUTER_DECISIONS, **_ROUTE)
    fallback_ratio = q.share(q.rate(c.BS_ROUTER_DECISIONS, fallback="true", **_ROUTE), decisions)
    cache_hit_ratio = q.share(q.rate(c.BS_SESSION_CACHE_EVENTS, outcome="hit"),
                              q.rate(c.BS_SESSION_CACHE_EVENTS, outcome="=~hit|miss"))
    http_5xx = q.share(q.rate(c.BS_HTTP_REQUESTS, status_class="5xx", **_HANDLER),
                       q.rate(c.BS_HTTP_REQUESTS, **_HANDLER))
    overview = [
        p.stat("Routing decisions/s", "Orchestrator decisions per second, fallbacks included "
               "(skipped turns are not decisions).", decisions, "reqps", sparkline=True),
        p.stat("Fallback ratio", "Decisions where no routing preference matched "
               "(selected_model \"none\") or the router failed (\"unknown\"); the request then "
               "goes to the model the client asked for.", fallback_ratio, "percentunit",
               thresholds=FALLBACK_SLO, decimals=1),
        p.stat("Router decision p95", "95th percentile of the orchestrator's decision time, "
               "which every routed request waits for before its upstream call.",
               q.quantile(0.95, c.BS_ROUTER_DURATION, **_ROUTE), c.BS_ROUTER_DURATION.unit),
        p.stat("Session-cache hit ratio", "Session-affinity lookups that found a binding: hit "
               "/ (hit + miss). Lookup errors are counted apart, below.", cache_hit_ratio,
               "percentunit", thresholds=p.threshold(slo.cache_hit), decimals=1),
        p.stat("brightstaff 5xx ratio", "Share of brightstaff's HTTP responses (all handlers "
               "in $handler) that were 5xx.", http_5xx, "percentunit", thresholds=error_slo,
               decimals=2),
        p.stat("brightstaff restarts", "Restarts in the selected range, from counter resets "
               "of brightstaff_http_requests_total (the busiest series of each instance).",
               q.total(q.restarts_in_range(c.BS_HTTP_REQUESTS)), "short", instant=True,
               thresholds=p.steps(("green", None), ("yellow", 1))),
    ]
    by_route_model = ("route", "selected_model")
    routed = [
        p.timeseries("Decisions/s by route and selected model", "What the orchestrator picks; "
                     "\"none\" and \"unknown\" are fallbacks to the requested model.",
                     [Query(q.rate(c.BS_ROUTER_DECISIONS, by=by_route_model, **_ROUTE),
                            "{{route}} → {{selected_model}}")], "reqps", stack=True, w=10),
        p.piechart("Model share of decisions", "Selected models over the selected range.",
                   Query(q.increase_in_range(c.BS_ROUTER_DECISIONS, by=("selected_model",),
                                             **_ROUTE), "{{selected_model}}"), "short", w=7),
        p.timeseries("Fallback ratio by route", "Share of decisions with fallback=\"true\".",
                     [Query(q.share(q.rate(c.BS_ROUTER_DECISIONS, by=("route",), fallback="true",
                                           **_ROUTE),
                                    q.rate(c.BS_ROUTER_DECISIONS, by=("route",), **_ROUTE)),
                            "{{route}}")], "percentunit", thresholds=FALLBACK_SLO, ratio=True,
                     w=7),
        p.timeseries("Router skips by reason", "Requests that replayed the prior decision "
                     "instead of routing (routing.route_on_user_only: the last message was not "
                     "a user turn).",
                     [Query(q.rate(c.BS_ROUTER_SKIPS, by=("reason",)), "{{reason}}")], "reqps",
                     w=8),
        p.timeseries("/routing outcomes (share)", "The /routing decision API: decision_served, "
                     "no_candidates (nothing matched; still HTTP 200) and policy_error (HTTP "
                     "500), as shares of its requests.",
                     [Query(q.share_by(c.BS_ROUTING_SERVICE_REQUESTS, "outcome"), "{{outcome}}")],
                     "percentunit", thresholds=error_slo, ratio=True, w=8),
        p.timeseries("/routing requests/s by outcome", "The /routing decision API's request "
                     "rate per outcome.",
                     [Query(q.rate(c.BS_ROUTING_SERVICE_REQUESTS, by=("outcome",)),
                            "{{outcome}}")], "reqps", stack=True, w=8),
    ]
    latency = [
        p.quantiles("Router decision time", "Time in the orchestrator per decision, by route; "
                    "buckets 5 ms … 30 s.", c.BS_ROUTER_DURATION, (0.5, 0.95, 0.99),
                    by=("route",), w=8, **_ROUTE),
        p.heatmap("Router decision time distribution", "Bucket counts of "
                  "brightstaff_router_decision_duration_seconds per step.", c.BS_ROUTER_DURATION,
                  w=8, **_ROUTE),
        p.timeseries("Routing overhead vs upstream latency (p50 / p95)", "Decision time next to "
                     "the upstream call it precedes (brightstaff → provider until the stream "
                     "closes, for $provider/$model): the share of request time spent routing.",
                     [Query(q.quantile(lv, c.BS_ROUTER_DURATION, **_ROUTE),
                            f"router decision {p.quantile_label(lv)}") for lv in (0.5, 0.95)]
                     + [Query(q.quantile(lv, c.BS_LLM_UPSTREAM_DURATION),
                              f"upstream call {p.quantile_label(lv)}") for lv in (0.5, 0.95)],
                     "s", thresholds=p.threshold(slo.provider_latency), w=8),
    ]
    sessions = [
        p.timeseries("Session-cache hit ratio", "hit / (hit + miss) of session-affinity "
                     "lookups; a low ratio with many stores means bindings do not survive "
                     "between turns.", [Query(cache_hit_ratio, "hit ratio")], "percentunit",
                     thresholds=p.threshold(slo.cache_hit), ratio=True, w=8),
        p.timeseries("Session-cache events (share)", "hit, miss, store, error (lookup failed) "
                     "and store_error (binding not persisted) as shares of all events.",
                     [Query(q.share_by(c.BS_SESSION_CACHE_EVENTS, "outcome"), "{{outcome}}")],
                     "percentunit", ratio=True, w=8),
        p.timeseries("Session-cache errors/s", "Failed lookups (error: routed without "
                     "affinity) and failed stores (store_error: the next turn cannot pin).",
                     [Query(q.rate(c.BS_SESSION_CACHE_EVENTS, by=("outcome",),
                                   outcome="=~error|store_error"), "{{outcome}}")], "reqps",
                     thresholds=p.steps(("green", None), ("red", 0.001)), w=8),
        p.timeseries("Session switch decisions by decision and reason", "On a warm session: "
                     "allowed (same_anchor, free, within_cap, no_pricing) or retained "
                     "(over_cap: the switch would exceed the session's overhead cap).",
                     [Query(q.rate(c.BS_SESSION_SWITCH_DECISIONS, by=("decision", "reason")),
                            "{{decision}} ({{reason}})")], "reqps", stack=True),
        p.timeseries("Session binding refreshes/s", "Bindings refreshed from observed usage "
                     "after a turn completed (TTL extended, token counts and cost updated).",
                     [Query(q.rate(c.BS_SESSION_BINDING_EVENTS, by=("event",)), "{{event}}")],
                     "reqps"),
    ]
    http = [
        p.timeseries("brightstaff requests/s by handler", "HTTP requests brightstaff served, "
                     "per handler (llm_chat, agent_chat, routing_decision, …).",
                     [Query(q.rate(c.BS_HTTP_REQUESTS, by=("handler",), **_HANDLER),
                            "{{handler}}")], "reqps", stack=True, w=8),
        p.timeseries("5xx ratio by handler", "Share of each handler's responses that were 5xx "
                     "(no clamp_min: right below 1 req/s too).",
                     [Query(q.share(q.rate(c.BS_HTTP_REQUESTS, by=("handler",), status_class="5xx",
                                           **_HANDLER),
                                    q.rate(c.BS_HTTP_REQUESTS, by=("handler",), **_HANDLER)),
                            "{{handler}}")], "percentunit", thresholds=error_slo, ratio=True, w=8),
        p.timeseries("In-flight requests by handler", "Requests brightstaff is serving now; "
                     "the gauge drops when the response head is sent.",
                     [Query(q.gauge(c.BS_HTTP_IN_FLIGHT, by=("handler",), **_HANDLER),
                            "{{handler}}")], "short", w=8),
        p.quantiles("brightstaff request duration by handler", "Time to the response head "
                    "(for streaming, roughly the provider's time to headers plus routing).",
                    c.BS_HTTP_DURATION, (0.5, 0.95, 0.99), with_mean=False, by=("handler",),
                    **_HANDLER),
        p.heatmap("brightstaff request duration distribution", "Bucket counts of "
                  "brightstaff_http_request_duration_seconds per step.", c.BS_HTTP_DURATION,
                  **_HANDLER),
    ]
    build_info = [
        p.table("brightstaff instances and versions", "Each brightstaff instance with its "
                "version and git SHA (brightstaff_build_info). No CPU or memory here: Plano "
                "0.4.36 exports no process_* series (metrics-process records into a second "
                "`metrics` recorder); use container metrics.",
                Query(q.gauge(c.BS_BUILD_INFO, by=("instance", "version", "git_sha"))), "short"),
        p.bargauge("Restarts by instance (range)", "Counter resets of "
                   "brightstaff_http_requests_total per instance over the selected range.",
                   Query(q.restarts_in_range(c.BS_HTTP_REQUESTS), "{{instance}}"), "short"),
    ]
    return dashboard(
        q,
        UID, "Plano · Routing",
        "What Plano's router decides (models, fallbacks, skips, the /routing API), how long "
        "deciding takes next to the upstream call, session affinity, and brightstaff's HTTP "
        "RED. brightstaff exports no process metrics on Plano 0.4.36.",
        [("Overview", overview), ("Decisions", routed), ("Decision time", latency),
         ("Session affinity", sessions), ("brightstaff HTTP", http),
         ("brightstaff instances", build_info)],
        tags=["routing"], variable_names=BRIGHTSTAFF_VARIABLES, extra_variables=_variables(q),
    )
