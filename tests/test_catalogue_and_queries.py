import pytest

from plano_grafana.build.queries import Queries, QueryError
from plano_grafana.model import catalogue as c
from plano_grafana.model.config import DEFAULT

q = Queries(DEFAULT)  # the builders under the default config


def test_histogram_requires_buckets():
    with pytest.raises(ValueError, match="buckets"):
        c.Metric("x", c.Kind.HISTOGRAM, "ms", c.Source.WASM, "h")


def test_counter_refuses_histogram_suffix():
    with pytest.raises(ValueError, match="no series suffix"):
        c.RATELIMITED_RQ.series("_bucket")


def test_unit_must_be_a_known_grafana_unit():
    with pytest.raises(ValueError):
        c.Metric("x", c.Kind.COUNTER, "milliseconds", c.Source.WASM, "h")


def test_lookup_names_unknown_metric():
    with pytest.raises(KeyError, match="envoy_wasmcustom_ratelimited_rq"):
        c.lookup("envoy_wasmcustom_ratelimited_rq")
    assert c.lookup("time_to_first_token_bucket") is c.TIME_TO_FIRST_TOKEN


def test_ttft_has_plano_custom_buckets_and_ms():
    assert c.TIME_TO_FIRST_TOKEN.buckets[0] == 100 and c.TIME_TO_FIRST_TOKEN.buckets[-1] == 180000
    assert c.REQUEST_LATENCY.buckets == c.ENVOY_DEFAULT_BUCKETS
    assert c.TIME_TO_FIRST_TOKEN.unit == "ms" and c.BS_LLM_TTFT.unit == "s"


def test_selector_follows_the_metric_source():
    assert q.selector(c.REQUEST_LATENCY, "_count") == \
        'request_latency_count{job=~"$job",instance=~"$instance"}'
    assert q.selector(c.UPSTREAM_RQ_TOTAL) == \
        'envoy_cluster_upstream_rq_total{job=~"$job",instance=~"$instance",envoy_cluster_name=~"$cluster"}'
    assert q.selector(c.BS_LLM_TOKENS, kind="prompt") == (
        'brightstaff_llm_tokens_total{job=~"$bs_job",instance=~"$bs_instance",'
        'provider=~"$provider",model=~"$model",kind="prompt"}')
    # build_info has no provider label, so the provider variable must not filter it
    assert "provider" not in q.selector(c.BS_BUILD_INFO)


def test_selector_refuses_a_label_the_metric_lacks():
    with pytest.raises(QueryError, match="provider"):
        q.rate(c.REQUEST_LATENCY, "_count", by=("provider",))


def test_quantile_shape_and_window():
    assert q.quantile(0.95, c.TIME_TO_FIRST_TOKEN) == (
        "histogram_quantile(0.95, sum by (le) (rate(time_to_first_token_bucket"
        '{job=~"$job",instance=~"$instance"}[$__rate_interval])))')
    with pytest.raises(QueryError):
        q.quantile(95, c.TIME_TO_FIRST_TOKEN)
    with pytest.raises(QueryError, match="histogram"):
        q.quantile(0.5, c.RATELIMITED_RQ)


def test_ratio_has_no_clamp_min_and_range_totals_use_range():
    expr = q.mean(c.OUTPUT_SEQUENCE_LENGTH)
    assert "clamp_min" not in expr and expr.count("[$__rate_interval]") == 2
    assert q.increase_in_range(c.RATELIMITED_RQ).endswith("[$__range]))")


def test_ignore_drops_variable_matchers():
    expr = q.rate(c.BS_LLM_TOKENS, ignore=("provider", "model"), kind="prompt")
    assert "$provider" not in expr and "$model" not in expr and "$bs_job" in expr


def test_share_fills_missing_parts_with_zero():
    part = q.rate(c.UPSTREAM_RQ_XX, by=("envoy_cluster_name",), envoy_response_code_class="5")
    whole = q.rate(c.UPSTREAM_RQ_COMPLETED, by=("envoy_cluster_name",))
    assert q.share(part, whole) == f"({part} or {whole} * 0) / {whole}"
    ungrouped = q.share(q.rate(c.BS_PROMPT_CACHE_REQUESTS, outcome="hit"), q.rate(c.BS_PROMPT_CACHE_REQUESTS))
    assert ungrouped.startswith("(sum(rate(") and " or vector(0)) / sum(rate(" in ungrouped
