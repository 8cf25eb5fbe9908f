"""The truth evaluator on hand-made events: each PromQL shape the dashboards use (and
the spend and router rules will use) gives the value its definition says, with no
Prometheus involved; shapes it does not model raise instead of passing."""

from __future__ import annotations

import math

import pytest

from plano_grafana.lint.syntax import parse
from plano_grafana.model import catalogue as c
from plano_grafana.simulate.exposition import Registry
from plano_grafana.simulate.truth import TruthLog
from tests.support.truth_eval import Evaluator, TruthError, exact_quantile, rule_index
from tests.support.truth_index import ScrapeClock, TruthIndex

START, AT = 1000.0, 1030.0  # scrapes every second from START; evaluation at AT
CLUSTER = {"envoy_cluster_name": "a"}


class World:
    """Two registries fed at chosen times, scraped every second (an ideal clock)."""

    def __init__(self):
        self.now = START
        self.truth = TruthLog()
        self.truth.now = lambda: self.now
        self.envoy = Registry([c.UPSTREAM_RQ_XX, c.UPSTREAM_RQ_COMPLETED, c.TIME_TO_FIRST_TOKEN,
                               c.ACTIVE_HTTP_CALLS, c.UPSTREAM_RQ_PENDING_ACTIVE], self.truth.record)
        self.bs = Registry([c.BS_LLM_TOKENS, c.BS_LLM_UPSTREAM_DURATION], self.truth.record)

    def events(self, family: str) -> list:
        return self.truth.events(family, -math.inf, math.inf)

    def at(self, t: float) -> World:
        self.now = t
        return self

    def evaluator(self, rules=(), **kwargs) -> Evaluator:
        index = TruthIndex({"plano": self.envoy, "brightstaff": self.bs}, self.events)
        clock = ScrapeClock.regular(["plano", "brightstaff"], START, AT + 5)
        return Evaluator(index, clock, rules=rule_index(rules), **kwargs)

    def eval(self, expr: str, **kwargs) -> dict:
        result = self.evaluator(**kwargs).vector(parse(expr), AT)
        return {tuple(sorted(dict(k).items())): v.val for k, v in result.items()}


@pytest.fixture
def world() -> World:
    w = World()
    for cluster in ("a", "b"):  # Envoy creates the cluster stats at zero
        w.envoy.touch(c.UPSTREAM_RQ_COMPLETED, envoy_cluster_name=cluster)
    for i in range(60):  # 2 completions/s on a, 1/s on b; a 5xx on a every 5 s
        t = START + 0.25 + i * 0.5
        w.at(t).envoy.inc(c.UPSTREAM_RQ_COMPLETED, envoy_cluster_name="a")
        if i % 2 == 0:
            w.envoy.inc(c.UPSTREAM_RQ_COMPLETED, envoy_cluster_name="b")
        if i % 10 == 0:
            w.envoy.inc(c.UPSTREAM_RQ_XX, envoy_cluster_name="a", envoy_response_code_class="5")
    return w


def test_rate_is_the_increments_between_scrapes(world):
    got = world.eval('sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_rq_completed[10s]))')
    assert got == {(("envoy_cluster_name", "a"),): 2.0, (("envoy_cluster_name", "b"),): 1.0}
    total = world.eval('sum(increase(envoy_cluster_upstream_rq_completed{envoy_cluster_name=~"a|b"}[10s]))')
    assert total == {(): 30.0}


def test_a_ratio_keeps_a_group_whose_numerator_never_moved(world):
    """b never had a 5xx: its series does not exist, yet its true 5xx ratio is 0."""
    part = ("sum by (envoy_cluster_name) "
            '(rate(envoy_cluster_upstream_rq_xx{envoy_response_code_class="5"}[10s]))')
    whole = "sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_rq_completed[10s]))"
    want = {(("envoy_cluster_name", "a"),): 0.1, (("envoy_cluster_name", "b"),): 0.0}
    assert world.eval(f"{part} / {whole}") == want
    assert world.eval(f"({part} or {whole} * 0) / {whole}") == want
    assert world.eval(f"{part} or {whole} * 0") == {(("envoy_cluster_name", "a"),): 0.2,
                                                    (("envoy_cluster_name", "b"),): 0.0}
    assert world.eval("(sum(rate(envoy_cluster_upstream_rq_xx[10s])) or vector(0)) * 0 + 1") == {(): 1.0}


def test_quantile_is_exact_at_the_quantile_the_panel_claims(world):
    values = [150.0 + 10 * i for i in range(40)]
    for i, v in enumerate(values):
        world.at(START + 10.5 + i * 0.5).envoy.observe(c.TIME_TO_FIRST_TOKEN, v)
    expr = "histogram_quantile(0.5, sum by (le) (rate(time_to_first_token_bucket[10s])))"
    window = sorted(values[20:])  # observed in (1020, 1030]: after the first scrape
    ev = world.evaluator()
    [median] = ev.vector(parse(expr), AT).values()
    assert median.val == exact_quantile(window, 0.5)
    assert (median.lo, median.hi) == (100, 500)  # the TTFT bucket around it
    assert ev.quantile_families == [c.TIME_TO_FIRST_TOKEN]
    [claimed] = world.evaluator(quantile=0.9).vector(parse(expr), AT).values()
    assert claimed.val == exact_quantile(window, 0.9)


def _bucket_quantile(q: float, obs: list[float], bounds: tuple[float, ...]) -> float:
    """Prometheus's bucketQuantile (promql/quantile.go) over exact bucket counts: the rank
    is q·n over the cumulative counts, interpolated linearly inside the bucket it falls in."""
    cumulative = [sum(1 for x in obs if x <= b) for b in bounds]
    rank = q * len(obs)
    b = next(i for i, count in enumerate(cumulative) if count >= rank)
    start, below = (bounds[b - 1], cumulative[b - 1]) if b else (0.0, 0)
    return start + (bounds[b] - start) * (rank - below) / (cumulative[b] - below)


def test_a_quantile_range_holds_the_bucket_histogram_quantile_ranks_into(world):
    """With few observations q·n (Prometheus) sits a whole rank above q·(n−1) (the exact
    quantile): 17 of 18 in 500–800 ms, the p95 exact at 730 ms, Prometheus at 820 ms."""
    values = [700.0] * 17 + [900.0]
    for i, v in enumerate(values):
        world.at(START + 21.25 + i * 0.25).envoy.observe(c.TIME_TO_FIRST_TOKEN, v)
    expr = "histogram_quantile(0.95, sum by (le) (rate(time_to_first_token_bucket[10s])))"
    [p95] = world.evaluator().vector(parse(expr), AT).values()
    shown = _bucket_quantile(0.95, values, c.TIME_TO_FIRST_TOKEN.buckets)
    assert p95.val == pytest.approx(730.0) and shown == pytest.approx(820.0)
    assert p95.lo <= shown <= p95.hi, (p95.lo, p95.hi)
    assert (p95.lo, p95.hi) == (500, 1000)  # no wider than the two buckets


def test_a_quantile_over_something_else_is_refused(world):
    world.at(START + 1).envoy.observe(c.TIME_TO_FIRST_TOKEN, 300)
    for expr in ("histogram_quantile(0.5, sum by (le) (time_to_first_token_bucket))",
                 "histogram_quantile(0.5, sum by (le) (rate(envoy_cluster_upstream_rq_completed[10s])))",
                 "stddev(envoy_cluster_upstream_rq_completed)",
                 "absent(nonexistent_metric)",
                 "sum(rate(envoy_wasmcustom_time_to_first_token_count[10s]))"):
        with pytest.raises(TruthError):
            world.evaluator().vector(parse(expr), AT)


def test_gauge_is_what_was_set_at_the_scrape_or_during_its_read(world):
    world.envoy.touch(c.UPSTREAM_RQ_PENDING_ACTIVE, envoy_cluster_name="a")
    for t, v in ((AT - 3, 7), (AT - 0.5, 4), (AT + 0.1, 9), (AT + 0.2, 2), (AT + 1, 50)):
        world.at(t).envoy.set(c.ACTIVE_HTTP_CALLS, v)
    [value] = world.evaluator(lag=0.25).vector(parse("sum(active_http_calls)"), AT).values()
    assert (value.val, value.lo, value.hi) == (4, 2, 9)
    assert world.eval("sum(envoy_cluster_upstream_rq_pending_active)") == {(): 0.0}
    assert world.eval("max_over_time(active_http_calls[5s])") == {(): 7.0}


def test_unexplained_scale_is_not_part_of_the_truth(world):
    expr = "sum(rate(envoy_cluster_upstream_rq_completed[10s])) / 1000"
    ev = world.evaluator(literals=False)
    assert ev.vector(parse(expr), AT)[()].val == 3.0 and ev.scales == [0.001]
    assert world.eval(expr) == {(): 0.003}
    assert world.eval(expr.replace("/ 1000", "* 0"), literals=False) == {(): 0.0}


def test_subquery_max_and_topk(world):
    for i in range(20):  # a burst on b: 4 more completions/s during [1005, 1010)
        world.at(START + 5 + i * 0.25).envoy.inc(c.UPSTREAM_RQ_COMPLETED, envoy_cluster_name="b")
    ev = world.evaluator()
    peak = ev.vector(parse("max_over_time(sum(rate(envoy_cluster_upstream_rq_completed"
                           "{envoy_cluster_name=\"b\"}[5s]))[30s:])"), AT)[()].val
    assert peak == pytest.approx(24 / 5)  # (19 of the burst + 5 steady) in (1005, 1010], per 5 s
    top = world.eval("topk(1, sum by (envoy_cluster_name) "
                     "(increase(envoy_cluster_upstream_rq_completed[30s])))")
    assert top == {(("envoy_cluster_name", "a"),): pytest.approx(60.0)}  # b: 30 + 20 of the burst


SPEND_RULES = [{"name": "prices", "rules": [
    {"record": "plano:llm_price_usd_per_token", "expr": "vector(0.000002)",
     "labels": {"provider": "openai", "model": "gpt-4o", "kind": "prompt"}},
    {"record": "plano:llm_price_usd_per_token", "expr": "vector(0.00001)",
     "labels": {"provider": "openai", "model": "gpt-4o", "kind": "completion"}},
]}, {"name": "router", "rules": [
    {"record": "plano:llm_latency_seconds:p50", "labels": {"quantile": "0.5"},
     "expr": 'label_join(histogram_quantile(0.5, sum by (le, provider, model) '
             '(rate(brightstaff_llm_upstream_duration_seconds_bucket[10s]))), '
             '"model_name", "/", "provider", "model")'},
]}]


@pytest.fixture
def spend_world(world) -> World:
    for i in range(30):
        world.at(START + 0.5 + i).bs.inc(c.BS_LLM_TOKENS, 100, provider="openai", model="gpt-4o",
                                         kind="prompt")
        world.bs.inc(c.BS_LLM_TOKENS, 20, provider="openai", model="gpt-4o", kind="completion")
        world.bs.inc(c.BS_LLM_TOKENS, 50, provider="mistral", model="small", kind="prompt")
        world.bs.observe(c.BS_LLM_UPSTREAM_DURATION, 0.2 + (i % 3) * 0.1, provider="openai",
                         model="gpt-4o")
    return world


def test_recorded_series_come_from_their_rules(spend_world):
    """Spend multiplies token rates by price series the rules record (with static labels)."""
    spend = ("sum by (provider, model) (rate(brightstaff_llm_tokens_total[10s]) "
             "* on (provider, model, kind) group_left plano:llm_price_usd_per_token)")
    got = spend_world.eval(spend, rules=SPEND_RULES)
    assert got == {(("model", "gpt-4o"), ("provider", "openai")): pytest.approx(100 * 2e-6 + 20 * 1e-5)}
    unpriced = ("sum by (provider, model) (rate(brightstaff_llm_tokens_total[10s]) "
                "unless on (provider, model, kind) plano:llm_price_usd_per_token)")
    assert spend_world.eval(unpriced, rules=SPEND_RULES) == {
        (("model", "small"), ("provider", "mistral")): 50.0}
    prices = spend_world.eval('plano:llm_price_usd_per_token{kind="completion"}', rules=SPEND_RULES)
    assert list(prices.values()) == [1e-5]
    with pytest.raises(TruthError, match="neither in the simulator nor a recorded series"):
        spend_world.eval("sum(plano:llm_price_usd_per_token)")


def test_router_rule_labels_each_model(spend_world):
    got = spend_world.evaluator(rules=SPEND_RULES).vector(
        parse("plano:llm_latency_seconds:p50"), AT)
    [(labels, value)] = got.items()
    assert dict(labels)["model_name"] == "openai/gpt-4o" and dict(labels)["quantile"] == "0.5"
    assert value.val == pytest.approx(0.3) and (value.lo, value.hi) == (0.25, 0.5)


def test_a_series_born_at_a_scrape_edge_is_optional(world):
    world.at(AT - 0.1).envoy.inc(c.UPSTREAM_RQ_XX, envoy_cluster_name="b", envoy_response_code_class="4")
    world.at(AT + 0.1).envoy.inc(c.UPSTREAM_RQ_XX, envoy_cluster_name="b", envoy_response_code_class="2")
    got = world.evaluator(lag=0.25).vector(parse("envoy_cluster_upstream_rq_xx"), AT)
    by_class = {dict(k)["envoy_response_code_class"]: v for k, v in got.items()
                if ("envoy_cluster_name", "b") in k}
    assert by_class["4"].sure and not by_class["2"].sure
    assert (by_class["2"].lo, by_class["2"].hi) == (0, 1)
    assert math.isclose(by_class["4"].val, 1)


def test_a_recorded_series_is_read_at_its_rules_evaluation(world):
    """Prometheus stores a rule's value at the group's evaluation instants, not at query time."""
    rules = [{"name": "g", "rules": [{"record": "plano:eval_time", "expr": "vector(time())"}]}]
    index = TruthIndex({"plano": world.envoy, "brightstaff": world.bs}, world.events)
    clock = ScrapeClock({"plano": [AT]}, fetch=lambda job: [1010.0, 1020.0, 1029.5]
                        if job == "rule:plano:eval_time" else [])
    ev = Evaluator(index, clock, rules=rule_index(rules))
    assert ev.vector(parse("plano:eval_time"), AT)[(("__name__", "plano:eval_time"),)].val == 1029.5
    assert ev.vector(parse("min_over_time(plano:eval_time[15s])"), AT)[()].val == 1020.0
    unknown = Evaluator(index, ScrapeClock({}), rules=rule_index(rules))  # rules not loaded
    assert unknown.vector(parse("plano:eval_time"), AT)[(("__name__", "plano:eval_time"),)].val == AT


def test_offset_and_unary_minus(world):
    got = world.eval("-sum(rate(envoy_cluster_upstream_rq_completed[5s] offset 20s))")
    assert got == {(): pytest.approx(-3.0)}
    assert world.eval("-1 * vector(2)") == {(): -2.0}
    with pytest.raises(TruthError, match="@ modifier"):
        world.eval("sum(envoy_cluster_upstream_rq_completed @ 1000)")


def test_a_proof_without_the_simulator_fails_rather_than_passes():
    """Only the truth log (the old Context): targets cannot be evaluated, and say so."""
    from tests.support.proof import Context, check_target

    ctx = Context(prom=None, sim=TruthLog(), at=AT)
    panel = {"title": "x", "fieldConfig": {"defaults": {"unit": "reqps"}}}
    check_target(ctx, "d: panel 'x' target A", {"refId": "A"}, panel, "sum(rate(x[10s]))", [])
    assert len(ctx.errors) == 1 and "needs the Simulator itself" in ctx.errors[0]


def test_a_quantile_in_the_last_bucket_has_no_upper_bound():
    from tests.support.proof import Check
    from tests.support.truth_index import Value

    check = Check("quantile", quantile=True)
    assert check.allows(29.6, Value(24.6, 10.0, math.inf))
    assert not check.allows(9.0, Value(24.6, 10.0, math.inf))


def test_a_joined_numerator_may_lack_a_group(spend_world):
    """Cost per response of an unpriced model is unknown, not $0: no fill for a join."""
    spend = ("sum by (provider, model) (rate(brightstaff_llm_tokens_total[10s]) "
             "* on (provider, model, kind) group_left plano:llm_price_usd_per_token)")
    tokens = "sum by (provider, model) (rate(brightstaff_llm_tokens_total[10s]))"
    got = spend_world.eval(f"{spend} / {tokens}", rules=SPEND_RULES)
    assert list(got) == [(("model", "gpt-4o"), ("provider", "openai"))]
