"""Plano · LLM requests: traffic, latency, errors and saturation (RED + saturation).

Latency comes from the llm_gateway WASM histograms (milliseconds, measured at the 12001
hop), per-provider views from Envoy's cluster stats (per attempt), and per-model views
from brightstaff (seconds). Each panel's description says which, because they measure
different hops.
"""

from grafanalib import core as g

from plano_grafana.build.panels import Panels, Query
from plano_grafana.build.queries import Queries
from plano_grafana.build.templating import dashboard
from plano_grafana.model import catalogue as c
from plano_grafana.model.config import Config

UID = "plano-llm-requests"
_MS = 1000  # the config's SLOs are in seconds; the WASM and Envoy histograms in ms
_CLUSTER = ("envoy_cluster_name",)


def _error_ratio_by_provider(q: Queries, code_class: str) -> str:
    return q.share(q.rate(c.UPSTREAM_RQ_XX, by=_CLUSTER, envoy_response_code_class=code_class),
                   q.rate(c.UPSTREAM_RQ_COMPLETED, by=_CLUSTER))


def build(cfg: Config) -> g.Dashboard:
    q = Queries(cfg)
    p = Panels(q)
    slo = cfg.slo
    ttft_slo = p.threshold(slo.ttft, _MS)
    latency_slo = p.threshold(slo.latency, _MS)
    error_slo = p.threshold(slo.error_ratio)
    completed = q.rate(c.REQUEST_LATENCY, "_count")
    overview = [
        p.stat("Completed LLM requests", "LLM requests the llm_gateway filter finished during "
               "the selected range (request_latency_count).",
               q.increase_in_range(c.REQUEST_LATENCY, "_count"), "short", instant=True),
        p.stat("LLM request rate", "Completed LLM requests per second.", completed, "reqps",
               sparkline=True, w=3),
        p.stat("Upstream error ratio (5xx + 429)", "Share of provider attempts answered with a "
               "5xx or 429, over the selected provider clusters.",
               q.share(q.rate(c.UPSTREAM_RQ_CODE, envoy_response_code="=~5..|429"),
                       q.rate(c.UPSTREAM_RQ_COMPLETED)),
               "percentunit", thresholds=error_slo, decimals=2),
        p.stat("TTFT p95", "Time to first token, 95th percentile; streaming requests only, "
               "measured at the gateway→provider hop.",
               q.quantile(0.95, c.TIME_TO_FIRST_TOKEN), c.TIME_TO_FIRST_TOKEN.unit,
               thresholds=ttft_slo, w=3),
        p.stat("Request latency p95", "End-to-end response time, 95th percentile, streaming "
               "and non-streaming.", q.quantile(0.95, c.REQUEST_LATENCY), c.REQUEST_LATENCY.unit,
               thresholds=latency_slo, w=3),
        p.stat("Rate-limited requests", "Requests Plano's token rate limiter rejected with 429 "
               "during the selected range.", q.increase_in_range(c.RATELIMITED_RQ), "short",
               instant=True, thresholds=p.steps(("green", None), ("yellow", 1)), w=3),
        p.stat("In-flight provider requests", "Requests open to LLM providers right now.",
               q.gauge(c.UPSTREAM_RQ_ACTIVE), "short", w=4),
    ]
    traffic = [
        p.timeseries("Requests/s by provider cluster", "Attempts per Envoy provider cluster, "
                     "retries included.",
                     [Query(q.rate(c.UPSTREAM_RQ_TOTAL, by=_CLUSTER), "{{envoy_cluster_name}}")],
                     "reqps", stack=True, w=8),
        p.timeseries("Requests/s by provider and model", "Upstream calls per resolved model, "
                     "from brightstaff.",
                     [Query(q.rate(c.BS_LLM_UPSTREAM_REQUESTS, by=("provider", "model")),
                            "{{provider}}/{{model}}")], "reqps", w=8),
        p.piechart("Request share by provider cluster", "Traffic mix over the selected range.",
                   Query(q.increase_in_range(c.UPSTREAM_RQ_TOTAL, by=_CLUSTER),
                         "{{envoy_cluster_name}}"), "short"),
        p.timeseries("Completed requests: llm_gateway vs Envoy", "A gap means retries, "
                     "non-LLM clusters in $cluster, or responses the filter did not close.",
                     [Query(completed, "llm_gateway (request_latency_count)"),
                      Query(q.rate(c.UPSTREAM_RQ_COMPLETED), "Envoy upstream_rq_completed")],
                     "reqps", w=24, h=6),
    ]
    latency = [
        p.quantiles("Time to first token", "Streaming requests only; Plano's custom buckets "
                    "100 ms … 180 s.", c.TIME_TO_FIRST_TOKEN, thresholds=ttft_slo),
        p.heatmap("TTFT distribution", "Shape of TTFT; two bands usually mean mixed providers "
                  "or models.", c.TIME_TO_FIRST_TOKEN),
        p.quantiles("End-to-end request latency", "Whole response at the 12001 hop; Envoy's "
                    "default buckets are coarse above 10 s.", c.REQUEST_LATENCY,
                    thresholds=latency_slo),
        p.heatmap("Request latency distribution", "Bucket counts of request_latency per step.",
                  c.REQUEST_LATENCY),
        p.timeseries("Provider latency p95 by cluster", "Envoy upstream_rq_time, per attempt; "
                     "full stream time for SSE.",
                     [Query(q.quantile(0.95, c.UPSTREAM_RQ_TIME, _CLUSTER),
                            "{{envoy_cluster_name}} p95")], c.UPSTREAM_RQ_TIME.unit,
                     thresholds=p.threshold(slo.provider_latency, _MS)),
        p.timeseries("TTFT p95 by provider and model", "Time to first body bytes per model, "
                     "from brightstaff (seconds).",
                     [Query(q.quantile(0.95, c.BS_LLM_TTFT, ("provider", "model")),
                            "{{provider}}/{{model}} p95")], c.BS_LLM_TTFT.unit,
                     thresholds=p.threshold(slo.ttft)),
    ]
    errors = [
        p.timeseries("5xx ratio by provider cluster", "Share of completed attempts each "
                     "provider answered with a 5xx.",
                     [Query(_error_ratio_by_provider(q, "5"), "{{envoy_cluster_name}}")],
                     "percentunit", thresholds=error_slo, ratio=True, w=8),
        p.timeseries("429 ratio by provider cluster", "Share of completed attempts the "
                     "provider throttled with 429.",
                     [Query(q.share(q.rate(c.UPSTREAM_RQ_CODE, by=_CLUSTER, envoy_response_code="429"),
                                    q.rate(c.UPSTREAM_RQ_COMPLETED, by=_CLUSTER)),
                            "{{envoy_cluster_name}}")],
                     "percentunit", thresholds=error_slo, ratio=True, w=8),
        p.timeseries("Client-facing 5xx ratio", "What callers saw on $listener after retries "
                     "and fallbacks.",
                     [Query(q.share(q.rate(c.LISTENER_DOWNSTREAM_RQ_XX, envoy_response_code_class="5"),
                                    q.rate(c.LISTENER_DOWNSTREAM_RQ_COMPLETED)), "5xx ratio")],
                     "percentunit", thresholds=error_slo, ratio=True, w=8),
        p.timeseries("Responses by status class and provider", "2xx/4xx/5xx mix per provider.",
                     [Query(q.rate(c.UPSTREAM_RQ_XX, by=(*_CLUSTER, "envoy_response_code_class")),
                            "{{envoy_cluster_name}} {{envoy_response_code_class}}xx")],
                     "reqps", stack=True),
        p.timeseries("Timeouts, resets, connect failures and retries", "Failures without an "
                     "HTTP status, and retry activity, per provider.",
                     [Query(q.rate(m, by=_CLUSTER), "{{envoy_cluster_name}} " + label)
                      for m, label in ((c.UPSTREAM_RQ_TIMEOUT, "timeout"),
                                       (c.UPSTREAM_RQ_PER_TRY_TIMEOUT, "per-try timeout"),
                                       (c.UPSTREAM_RQ_RX_RESET, "rx reset"),
                                       (c.UPSTREAM_RQ_TX_RESET, "tx reset"),
                                       (c.UPSTREAM_CX_CONNECT_FAIL, "connect fail"),
                                       (c.UPSTREAM_RQ_RETRY, "retry"),
                                       (c.UPSTREAM_RQ_RETRY_SUCCESS, "retry success"))],
                     "reqps"),
        p.table("Status codes by provider cluster", "Exact response codes over the selected "
                "range.", Query(q.increase_in_range(c.UPSTREAM_RQ_CODE,
                                                    by=(*_CLUSTER, "envoy_response_code"))),
                "short"),
        p.timeseries("LLM upstream failures (brightstaff)", "Non-2xx outcomes by status and "
                     "error class; HTTP errors carry error_class=none, transport errors have "
                     "status_class=error.",
                     [Query(q.rate(c.BS_LLM_UPSTREAM_REQUESTS,
                                   by=("provider", "status_class", "error_class"),
                                   status_class="!=2xx"),
                            "{{provider}} {{status_class}} {{error_class}}")], "reqps"),
    ]
    saturation = [
        p.timeseries("Rate-limited requests/s", "Token-bucket rejections by Plano's rate "
                     "limiter.", [Query(q.rate(c.RATELIMITED_RQ), "rate limited")], "reqps", w=8),
        p.timeseries("Active and pending requests by provider", "Pending > 0 means "
                     "connection-pool or circuit-breaker pressure.",
                     [Query(q.gauge(c.UPSTREAM_RQ_ACTIVE, by=_CLUSTER), "{{envoy_cluster_name}} active"),
                      Query(q.gauge(c.UPSTREAM_RQ_PENDING_ACTIVE, by=_CLUSTER),
                            "{{envoy_cluster_name}} pending")], "short", w=8),
        p.timeseries("Prompt-gateway callouts in flight", "WASM dispatch_http_call in flight "
                     "(function calling, tools), not client requests.",
                     [Query(q.gauge(c.ACTIVE_HTTP_CALLS), "callouts")], "short", w=8),
    ]
    return dashboard(
        q,
        UID, "Plano · LLM requests",
        "Traffic, latency, errors and saturation of LLM requests through Plano.",
        [("Overview", overview), ("Traffic", traffic), ("Latency", latency),
         ("Errors", errors), ("Saturation and limits", saturation)],
        tags=["llm"],
    )
