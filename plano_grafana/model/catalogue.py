"""The one catalogue of Plano metrics that the dashboards may query.

Every metric name, type, unit, bucket layout and label set lives here, read from
Plano's source at 003c36ae and Envoy 1.37; docs/metrics.md says which source file each
fact comes from. Dashboards never spell a
metric name themselves: they hold a :class:`Metric` from this module, so a renamed or
mis-typed metric fails at import time rather than as an empty panel in Grafana.
"""

from __future__ import annotations

import enum

import attr
from attr.validators import in_, instance_of, matches_re


class Kind(enum.Enum):
    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


class Source(enum.Enum):
    """Where Prometheus scrapes the metric; it decides which template variables filter it."""

    WASM = "envoy-wasm"  # llm_gateway/prompt_gateway filter stats on Envoy admin, no labels
    ENVOY_CLUSTER = "envoy-cluster"  # envoy_cluster_* with envoy_cluster_name
    ENVOY_LISTENER = "envoy-listener"  # envoy_listener_* with envoy_listener_address
    ENVOY_SERVER = "envoy-server"  # envoy_server_* (liveness; used by template variables)
    BRIGHTSTAFF = "brightstaff"  # brightstaff /metrics on :9092
    RULES = "plano-grafana-rules"  # series this package's rule files record (prices)


#: Envoy's default histogram buckets (HistogramSettingsImpl::defaultBuckets()).
ENVOY_DEFAULT_BUCKETS: tuple[float, ...] = (
    0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
    300000, 600000, 1800000, 3600000,
)
#: Plano's custom buckets for wasmcustom.time_to_first_token (stats_config).
TTFT_BUCKETS: tuple[float, ...] = (
    100, 500, 800, 1000, 1200, 1400, 1600, 1800, 2000, 2200, 2400, 3000, 3500, 4000,
    4500, 5000, 6000, 10000, 60000, 180000,
)
#: brightstaff LLM histograms (prefix match brightstaff_llm_*).
BRIGHTSTAFF_LLM_BUCKETS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
#: brightstaff_http_request_duration_seconds.
BRIGHTSTAFF_HTTP_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
)

#: brightstaff_router_decision_duration_seconds (ROUTER_BUCKETS in metrics/mod.rs).
BRIGHTSTAFF_ROUTER_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
)

#: Grafana unit for token rates: "count:" scales (130K tok/s) where "suffix:" printed 130170.
TOKEN_RATE = "count:tok/s"
#: Grafana unit ids the catalogue may use.
UNITS = ("ms", "s", "short", "reqps", "percentunit", "bytes", "none", "currencyUSD", TOKEN_RATE)
#: brightstaff's per-model labels, for ``by`` clauses.
PROVIDER_MODEL = ("provider", "model")

#: Envoy clusters that are Plano internals, never LLM providers (docs/metrics.md).
INTERNAL_CLUSTERS: tuple[str, ...] = (
    "bright_staff", "arch_internal", "arch_prompt_gateway_listener", "arch_listener_llm",
    "opentelemetry_collector",
)


def _label_values(value) -> tuple[tuple[str, tuple[str, ...]], ...]:
    items = value.items() if isinstance(value, dict) else value
    return tuple(sorted((label, tuple(vals)) for label, vals in items))


@attr.s(frozen=True, slots=True)
class Metric:
    """One Prometheus metric family as Plano exports it.

    ``name`` is the family name: for a histogram the series are ``name_bucket``,
    ``name_sum`` and ``name_count``; counters keep their stat name (Envoy adds no
    ``_total``).
    """

    name: str = attr.ib(validator=matches_re(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"))
    kind: Kind = attr.ib(validator=instance_of(Kind))
    unit: str = attr.ib(validator=in_(UNITS))
    source: Source = attr.ib(validator=instance_of(Source))
    help: str = attr.ib(validator=instance_of(str))
    labels: tuple[str, ...] = attr.ib(default=(), converter=tuple)
    buckets: tuple[float, ...] = attr.ib(default=(), converter=tuple)
    #: The closed set of values a label can take, where the exporter's source fixes one
    #: (brightstaff's ``metrics/labels.rs``), as ``((label, (value, …)), …)``.
    values: tuple[tuple[str, tuple[str, ...]], ...] = attr.ib(default=(), converter=_label_values)

    @values.validator
    def _check_values(self, _attribute, value):
        unknown = sorted({label for label, _ in value} - set(self.labels))
        if unknown:
            raise ValueError(f"{self.name}: values for labels it does not have: {unknown}")

    @buckets.validator
    def _check_buckets(self, _attribute, value):
        if (self.kind is Kind.HISTOGRAM) != bool(value):
            raise ValueError(f"{self.name}: buckets are required for histograms and only for them")
        if list(value) != sorted(value):
            raise ValueError(f"{self.name}: buckets must ascend")

    def series(self, suffix: str = "") -> str:
        """The series name with a histogram suffix; refuses suffixes the type does not have."""
        allowed = {"_bucket", "_sum", "_count"} if self.kind is Kind.HISTOGRAM else {""}
        if suffix not in allowed:
            raise ValueError(f"{self.name} is a {self.kind.value}; it has no series suffix {suffix!r}")
        return self.name + suffix

    def label_values(self, label: str) -> tuple[str, ...]:
        """The values ``label`` can take, or () when the set is open (a model name)."""
        return dict(self.values).get(label, ())

    def all_series(self) -> tuple[str, ...]:
        if self.kind is Kind.HISTOGRAM:
            return tuple(self.name + s for s in ("_bucket", "_sum", "_count"))
        return (self.name,)


def _wasm_hist(name: str, unit: str, help_: str, buckets=ENVOY_DEFAULT_BUCKETS) -> Metric:
    return Metric(name, Kind.HISTOGRAM, unit, Source.WASM, help_, buckets=buckets)


def _cluster(name: str, kind: Kind, help_: str, labels=(), unit="short") -> Metric:
    return Metric(name, kind, unit, Source.ENVOY_CLUSTER, help_, labels=("envoy_cluster_name", *labels))



# --- WASM filter metrics (llm_gateway / prompt_gateway), no labels, milliseconds and tokens.
TIME_TO_FIRST_TOKEN = _wasm_hist(
    "time_to_first_token", "ms",
    "Time to first token at the 12001 hop, streaming requests only.", TTFT_BUCKETS)
REQUEST_LATENCY = _wasm_hist(
    "request_latency", "ms", "Whole-response latency at the 12001 hop, streaming and not.")
TIME_PER_OUTPUT_TOKEN = _wasm_hist(
    "time_per_output_token", "ms",
    "Whole-request duration / output tokens, integer ms (includes TTFT).")
TOKENS_PER_SECOND = _wasm_hist(
    "tokens_per_second", TOKEN_RATE,
    "1000 / time_per_output_token, integer; requests with TPOT 0 are skipped.")
INPUT_SEQUENCE_LENGTH = _wasm_hist(
    "input_sequence_length", "short", "tiktoken estimate of the prompt, every request.")
OUTPUT_SEQUENCE_LENGTH = _wasm_hist(
    "output_sequence_length", "short", "Output tokens per response; 0 for errors.")
RATELIMITED_RQ = Metric(
    "ratelimited_rq", Kind.COUNTER, "short", Source.WASM,
    "Requests rejected with 429 by Plano's token rate limiter.")
ACTIVE_HTTP_CALLS = Metric(
    "active_http_calls", Kind.GAUGE, "short", Source.WASM,
    "Prompt-gateway WASM callouts in flight (not client requests).")

# --- Envoy cluster metrics: one envoy_cluster_name per provider, per attempt, ms.
UPSTREAM_RQ_TOTAL = _cluster("envoy_cluster_upstream_rq_total", Kind.COUNTER,
                             "Upstream request attempts (retries included).")
UPSTREAM_RQ_COMPLETED = _cluster("envoy_cluster_upstream_rq_completed", Kind.COUNTER,
                                 "Upstream requests that completed with a response.")
UPSTREAM_RQ_XX = _cluster("envoy_cluster_upstream_rq_xx", Kind.COUNTER,
                          "Upstream responses by status class.", ("envoy_response_code_class",))
UPSTREAM_RQ_CODE = _cluster("envoy_cluster_upstream_rq", Kind.COUNTER,
                            "Upstream responses by exact status code.", ("envoy_response_code",))
UPSTREAM_RQ_TIME = Metric(
    "envoy_cluster_upstream_rq_time", Kind.HISTOGRAM, "ms", Source.ENVOY_CLUSTER,
    "Upstream attempt time until the whole response (full stream for SSE).",
    labels=("envoy_cluster_name",), buckets=ENVOY_DEFAULT_BUCKETS)
UPSTREAM_RQ_ACTIVE = _cluster("envoy_cluster_upstream_rq_active", Kind.GAUGE,
                              "Upstream requests in flight.")
UPSTREAM_RQ_PENDING_ACTIVE = _cluster("envoy_cluster_upstream_rq_pending_active", Kind.GAUGE,
                                      "Requests waiting for a connection-pool slot.")
UPSTREAM_RQ_TIMEOUT = _cluster("envoy_cluster_upstream_rq_timeout", Kind.COUNTER,
                               "Upstream requests that hit the route timeout.")
UPSTREAM_RQ_PER_TRY_TIMEOUT = _cluster("envoy_cluster_upstream_rq_per_try_timeout", Kind.COUNTER,
                                       "Attempts that hit the per-try timeout.")
UPSTREAM_RQ_RX_RESET = _cluster("envoy_cluster_upstream_rq_rx_reset", Kind.COUNTER,
                                "Upstream requests reset by the provider.")
UPSTREAM_RQ_TX_RESET = _cluster("envoy_cluster_upstream_rq_tx_reset", Kind.COUNTER,
                                "Upstream requests reset by Envoy.")
UPSTREAM_RQ_RETRY = _cluster("envoy_cluster_upstream_rq_retry", Kind.COUNTER, "Retries.")
UPSTREAM_RQ_RETRY_SUCCESS = _cluster("envoy_cluster_upstream_rq_retry_success", Kind.COUNTER,
                                     "Retries that succeeded.")
UPSTREAM_CX_CONNECT_FAIL = _cluster("envoy_cluster_upstream_cx_connect_fail", Kind.COUNTER,
                                    "Connection failures to the provider.")

# --- Envoy listener and server.
LISTENER_DOWNSTREAM_RQ_XX = Metric(
    "envoy_listener_http_downstream_rq_xx", Kind.COUNTER, "short", Source.ENVOY_LISTENER,
    "Client-facing responses by status class, per listener.",
    labels=("envoy_listener_address", "envoy_http_conn_manager_prefix", "envoy_response_code_class"))
LISTENER_DOWNSTREAM_RQ_COMPLETED = Metric(
    "envoy_listener_http_downstream_rq_completed", Kind.COUNTER, "short", Source.ENVOY_LISTENER,
    "Client-facing completed requests, per listener.",
    labels=("envoy_listener_address", "envoy_http_conn_manager_prefix"))
SERVER_LIVE = Metric("envoy_server_live", Kind.GAUGE, "none", Source.ENVOY_SERVER,
                     "1 while Envoy is live; used to list jobs and instances.")

# --- brightstaff (seconds, provider/model labels).
BS_LLM_UPSTREAM_REQUESTS = Metric(
    "brightstaff_llm_upstream_requests_total", Kind.COUNTER, "short", Source.BRIGHTSTAFF,
    "LLM upstream calls by outcome.", labels=(*PROVIDER_MODEL, "status_class", "error_class"))
BS_LLM_UPSTREAM_DURATION = Metric(
    "brightstaff_llm_upstream_duration_seconds", Kind.HISTOGRAM, "s", Source.BRIGHTSTAFF,
    "brightstaff to provider until the stream closes.", labels=PROVIDER_MODEL,
    buckets=BRIGHTSTAFF_LLM_BUCKETS)
BS_LLM_TTFT = Metric(
    "brightstaff_llm_time_to_first_token_seconds", Kind.HISTOGRAM, "s", Source.BRIGHTSTAFF,
    "Time to first body bytes from the provider.", labels=PROVIDER_MODEL, buckets=BRIGHTSTAFF_LLM_BUCKETS)
BS_LLM_TOKENS = Metric(
    "brightstaff_llm_tokens_total", Kind.COUNTER, "short", Source.BRIGHTSTAFF,
    "Provider-reported tokens by kind (prompt, completion, cache_read, cache_write).",
    labels=(*PROVIDER_MODEL, "kind"))
BS_LLM_USAGE_MISSING = Metric(
    "brightstaff_llm_tokens_usage_missing_total", Kind.COUNTER, "short", Source.BRIGHTSTAFF,
    "Responses without a usage block.", labels=PROVIDER_MODEL)
BS_PROMPT_CACHE_REQUESTS = Metric(
    "brightstaff_prompt_cache_requests_total", Kind.COUNTER, "short", Source.BRIGHTSTAFF,
    "Responses that reported prompt_tokens, by cache outcome.", labels=(*PROVIDER_MODEL, "outcome"))
BS_BUILD_INFO = Metric(
    "brightstaff_build_info", Kind.GAUGE, "none", Source.BRIGHTSTAFF,
    "Always 1; version and git_sha labels. Lists brightstaff jobs and instances.",
    labels=("version", "git_sha"))

# --- brightstaff HTTP, routing and session metrics: names, label values and HELP exactly as
# crates/brightstaff/src/metrics/{mod.rs,labels.rs} (Plano 0.4.36, 003c36ae) emit them.
# Two families are never described (no describe_counter!), so they have no HELP line.
#: ``handler``: from the path+method match in main.rs ``handler_label_for``.
BS_HANDLERS = ("agent_chat", "routing_decision", "llm_chat", "function_calling", "list_models",
               "cors_preflight", "not_found")
#: ``method``: main.rs ``method_label``.
BS_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "OTHER")
#: ``status_class`` of brightstaff's own HTTP responses (metrics::status_class).
BS_HTTP_STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx", "other")
#: ``route``: which endpoint prompted a routing decision. In practice always ``llm``: the
#: caller strips ``/agents`` and ``/routing`` before labelling (docs/metrics.md).
BS_ROUTES = ("agent", "routing", "llm")
BS_ROUTING_OUTCOMES = ("decision_served", "no_candidates", "policy_error")
#: ``error`` = lookup failed (not a cold session); ``store_error`` = binding not persisted.
BS_SESSION_CACHE_OUTCOMES = ("hit", "miss", "store", "error", "store_error")
BS_SWITCH_DECISIONS = ("allowed", "retained")
BS_SWITCH_REASONS = ("same_anchor", "free", "within_cap", "over_cap", "no_pricing")
#: ``kind`` of brightstaff_llm_tokens_total (TOKEN_KIND_* in labels.rs).
BS_TOKEN_KINDS = ("prompt", "completion", "cache_read", "cache_write")
#: Provider interfaces (Plano's ``provider_interface``) whose ``kind="prompt"`` count
#: excludes cache reads and writes. brightstaff records ``usage.prompt_tokens`` as given
#: (streaming.rs); OpenAI-shaped usage counts cached tokens inside it
#: (hermesllm apis/openai.rs, ``prompt_tokens_details.cached_tokens``), while Anthropic's
#: ``input_tokens`` (apis/anthropic.rs, passed through, or mapped to ``prompt_tokens`` by
#: transforms/response/to_openai.rs) leaves them out. The shape follows the API the
#: upstream speaks, not the provider's name; spend and the tokenizer-drift panel depend on it.
PROMPT_EXCLUDES_CACHE_INTERFACES: frozenset[str] = frozenset({"anthropic"})

BS_HTTP_REQUESTS = Metric(
    "brightstaff_http_requests_total", Kind.COUNTER, "short", Source.BRIGHTSTAFF,
    "Total HTTP requests served by brightstaff, by handler and status class.",
    labels=("handler", "method", "status_class"),
    values={"handler": BS_HANDLERS, "method": BS_METHODS, "status_class": BS_HTTP_STATUS_CLASSES})
BS_HTTP_DURATION = Metric(
    "brightstaff_http_request_duration_seconds", Kind.HISTOGRAM, "s", Source.BRIGHTSTAFF,
    "Wall-clock duration of HTTP requests served by brightstaff, by handler.",
    labels=("handler",), buckets=BRIGHTSTAFF_HTTP_BUCKETS, values={"handler": BS_HANDLERS})
BS_HTTP_IN_FLIGHT = Metric(
    "brightstaff_http_in_flight_requests", Kind.GAUGE, "short", Source.BRIGHTSTAFF,
    "Number of HTTP requests currently being served by brightstaff, by handler.",
    labels=("handler",), values={"handler": BS_HANDLERS})
BS_ROUTER_DECISIONS = Metric(
    "brightstaff_router_decisions_total", Kind.COUNTER, "short", Source.BRIGHTSTAFF,
    "Routing decisions made by the orchestrator, by route, selected model, and whether a "
    "fallback was used.",
    labels=("route", "selected_model", "fallback"),
    values={"route": BS_ROUTES, "fallback": ("true", "false")})
BS_ROUTER_DURATION = Metric(
    "brightstaff_router_decision_duration_seconds", Kind.HISTOGRAM, "s", Source.BRIGHTSTAFF,
    "Time spent in the orchestrator deciding a route, by route.",
    labels=("route",), buckets=BRIGHTSTAFF_ROUTER_BUCKETS, values={"route": BS_ROUTES})
BS_ROUTER_SKIPS = Metric(
    "brightstaff_router_skips_total", Kind.COUNTER, "short", Source.BRIGHTSTAFF, "",
    labels=("reason",), values={"reason": ("not_user_turn",)})
BS_ROUTING_SERVICE_REQUESTS = Metric(
    "brightstaff_routing_service_requests_total", Kind.COUNTER, "short", Source.BRIGHTSTAFF,
    "Outcomes of /routing/* decision requests: decision_served, no_candidates, policy_error.",
    labels=("outcome",), values={"outcome": BS_ROUTING_OUTCOMES})
BS_SESSION_CACHE_EVENTS = Metric(
    "brightstaff_session_cache_events_total", Kind.COUNTER, "short", Source.BRIGHTSTAFF,
    "Session affinity cache lookups and stores, by outcome: hit, miss, store, error (lookup "
    "failed), store_error (binding not persisted). A rising store with no hit means bindings "
    "are not surviving between turns.",
    labels=("outcome",), values={"outcome": BS_SESSION_CACHE_OUTCOMES})
BS_SESSION_BINDING_EVENTS = Metric(
    "brightstaff_session_binding_events_total", Kind.COUNTER, "short", Source.BRIGHTSTAFF,
    "Session binding lifecycle events, by event (currently: refresh).",
    labels=("event",), values={"event": ("refresh",)})
BS_SESSION_SWITCH_DECISIONS = Metric(
    "brightstaff_session_switch_decisions_total", Kind.COUNTER, "short", Source.BRIGHTSTAFF, "",
    labels=("decision", "reason"),
    values={"decision": BS_SWITCH_DECISIONS, "reason": BS_SWITCH_REASONS})
# Not catalogued: process_* from metrics-process. brightstaff registers that collector, but
# crates/Cargo.lock builds metrics-process 2.4.3 on ``metrics`` 0.24.3 while the exporter
# it installs (metrics-exporter-prometheus 0.15.3) and its own macros use ``metrics``
# 0.23.1: two crate versions, two global recorders, and the process collector writes into
# the one nobody installed. No process_* series reach /metrics on Plano 0.4.36.

# --- constant series recorded by this package's rules (plano_grafana/build/rules/prices.py).
PRICE = Metric(
    "plano:llm_price_usd_per_token", Kind.GAUGE, "currencyUSD", Source.RULES,
    "List price in USD per token, by brightstaff token kind (prompt = input price).",
    labels=("provider", "model", "kind"), values={"kind": BS_TOKEN_KINDS})
BILLED = Metric(
    "plano:llm_billed_usd_per_token", Kind.GAUGE, "currencyUSD", Source.RULES,
    "What one token counted under a brightstaff kind adds to the bill: the list price, "
    "minus the input price for cache tokens that prompt already counts.",
    labels=("provider", "model", "kind"), values={"kind": BS_TOKEN_KINDS})


def _collect() -> dict[str, Metric]:
    found = {m.name: m for m in globals().values() if isinstance(m, Metric)}
    return dict(sorted(found.items()))


#: Every metric by family name.
CATALOGUE: dict[str, Metric] = _collect()


def prefix(metric: Metric, brightstaff_prefix: str = "") -> str:
    """What a family's names start with in Prometheus: brightstaff's carry the config's
    ``[metrics] brightstaff_prefix`` (a rename by an OpenTelemetry collector or
    ``metric_relabel_configs``); Envoy's and the rules' never do."""
    return brightstaff_prefix if metric.source is Source.BRIGHTSTAFF else ""


def exported(metric: Metric, suffix: str = "", brightstaff_prefix: str = "") -> str:
    """The series name as Prometheus holds it (``gen_ai_otel_brightstaff_…_bucket``)."""
    return prefix(metric, brightstaff_prefix) + metric.series(suffix)


def series_index(brightstaff_prefix: str = "") -> dict[str, Metric]:
    """Map every series name (``x_bucket``, ``x_sum``, …), as exported, to its family."""
    return {prefix(m, brightstaff_prefix) + series: m
            for m in CATALOGUE.values() for series in m.all_series()}


def lookup(name: str) -> Metric:
    """The family for a family or series name; KeyError names the unknown metric."""
    index = series_index()
    if name in CATALOGUE:
        return CATALOGUE[name]
    if name in index:
        return index[name]
    raise KeyError(f"metric {name!r} is not in the Plano metrics catalogue")
