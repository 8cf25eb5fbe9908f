"""Every panel of the compiled dashboards, proven on a real Prometheus scraping the simulator.

Prometheus (Debian's package) scrapes the simulator's Envoy admin and brightstaff
endpoints every second; after enough scrapes for ``$__rate_interval`` (10 s here), each
variable and target is evaluated and compared with the simulator's ground truth: the
target's syntax tree evaluated over the truth log (tests/support/truth_eval.py), within
the tolerance of its kind (tests/support/proof.py). No target is only "returns data".
"""

from __future__ import annotations

import copy
import re

import pytest

from plano_grafana.build import compiler
from plano_grafana.model.config import DEFAULT
from tests.support.proof import Context, near, prove, summary, targets_compared
from tests.support.routing_spend_checks import CHECKS as ROUTING_SPEND_CHECKS

pytestmark = pytest.mark.prometheus
RATE_INTERVAL = "10s"
TOL = 0.15  # the extra checks' window: Poisson noise of ~1000 events, rate extrapolation
DASHBOARDS = sorted(compiler.build_all(DEFAULT))  # file names; new dashboards are proven too


def _context(stack) -> Context:
    return Context.from_stack(stack, rate_interval=RATE_INTERVAL)


# --- Extra checks: what some panels mean, written independently of their queries and
# matched by title. The tree evaluation proves that each value is what its query means on
# the true events; these say the query is the right one (spend at billed, not list, prices;
# the zero-token share from the raw lengths), a second opinion on top.

def _single(result) -> float:
    assert len(result) == 1, result
    return float(result[0]["value"][1])


def _by(result, label) -> dict[str, float]:
    return {s["metric"].get(label, ""): float(s["value"][1]) for s in result}


def _providers(ctx: Context) -> set[str]:
    return {"openai", "anthropic", "gemini"}  # ollama's stats are mangled by the dot (#504)


def check_request_rate(ctx, where, result):
    since = ctx.at - ctx.window
    near(ctx, where, _single(result), ctx.truth.count_rate("request_latency", since, ctx.at), TOL,
         "request rate")


def check_rate_by_cluster(ctx, where, result):
    since = ctx.at - ctx.window
    got = _by(result, "envoy_cluster_name")
    assert set(got) == _providers(ctx), got
    for cluster, value in got.items():
        want = ctx.truth.rate("envoy_cluster_upstream_rq_total", since, ctx.at, envoy_cluster_name=cluster)
        near(ctx, f"{where} [{cluster}]", value, want, TOL, "requests/s")


def _ratio_by_cluster(family: str, what: str, **match: str):
    """Per-cluster share of attempts; absolute tolerance 2 points (~1000 attempts each)."""
    def check(ctx, where, result):
        since = ctx.at - ctx.window
        got = _by(result, "envoy_cluster_name")
        assert set(got) == _providers(ctx), got
        for cluster, value in got.items():
            bad = ctx.truth.rate(family, since, ctx.at, envoy_cluster_name=cluster, **match)
            total = ctx.truth.rate("envoy_cluster_upstream_rq_completed", since, ctx.at,
                                   envoy_cluster_name=cluster)
            if abs(value - bad / total) > 0.02:
                ctx.errors.append(f"{where} [{cluster}]: {what} {value:.4f}, truth {bad / total:.4f}")
    return check


check_5xx_by_cluster = _ratio_by_cluster("envoy_cluster_upstream_rq_xx", "5xx ratio",
                                         envoy_response_code_class="5")
check_429_by_cluster = _ratio_by_cluster("envoy_cluster_upstream_rq", "429 ratio",
                                         envoy_response_code="429")


def check_error_ratio(ctx, where, result):
    since = ctx.at - ctx.window
    clusters = _providers(ctx)
    bad = ctx.truth.rate("envoy_cluster_upstream_rq", since, ctx.at, envoy_cluster_name=clusters,
                         envoy_response_code={"500", "502", "503", "504", "429"})
    total = ctx.truth.rate("envoy_cluster_upstream_rq_completed", since, ctx.at,
                           envoy_cluster_name=clusters)
    got = _single(result)
    if abs(got - bad / total) > 0.015:
        ctx.errors.append(f"{where}: error ratio {got:.4f}, truth {bad / total:.4f}")


def check_input_token_rate(ctx, where, result):
    since = ctx.at - ctx.window
    near(ctx, where, _single(result), ctx.truth.rate("input_sequence_length", since, ctx.at), 0.25,
         "input tokens/s")  # heavy-tailed lognormal: a few long prompts dominate the sum


def check_completion_by_model(ctx, where, result):
    since = ctx.at - ctx.window
    for series in result:
        labels = {k: series["metric"][k] for k in ("provider", "model")}
        want = ctx.truth.rate("brightstaff_llm_tokens_total", since, ctx.at, kind="completion", **labels)
        near(ctx, f"{where} [{labels['provider']}/{labels['model']}]", float(series["value"][1]),
             want, 0.25, "completion tokens/s")


def check_zero_share(ctx, where, result):
    since = ctx.at - ctx.window
    values = ctx.truth.values("output_sequence_length", since, ctx.at)
    want = sum(1 for v in values if v == 0) / len(values)
    got = _single(result)
    if abs(got - want) > 0.02:
        ctx.errors.append(f"{where}: zero-token share {got:.4f}, truth {want:.4f}")


def check_cache_hit(ctx, where, result):
    since = ctx.at - ctx.window
    hit = ctx.truth.rate("brightstaff_prompt_cache_requests_total", since, ctx.at, outcome="hit")
    total = ctx.truth.rate("brightstaff_prompt_cache_requests_total", since, ctx.at)
    if abs(_single(result) - hit / total) > 0.05:
        ctx.errors.append(f"{where}: hit rate {_single(result):.3f}, truth {hit / total:.3f}")


def check_mean_input(ctx, where, result):
    values = ctx.truth.values("input_sequence_length", ctx.at - ctx.window, ctx.at)
    near(ctx, where, _single(result), sum(values) / len(values), 0.25, "mean input tokens")


CHECKS = {
    ("plano-llm-requests", "LLM request rate", "A"): check_request_rate,
    ("plano-llm-requests", "Requests/s by provider cluster", "A"): check_rate_by_cluster,
    ("plano-llm-requests", "5xx ratio by provider cluster", "A"): check_5xx_by_cluster,
    ("plano-llm-requests", "429 ratio by provider cluster", "A"): check_429_by_cluster,
    ("plano-llm-requests", "Upstream error ratio (5xx + 429)", "A"): check_error_ratio,
    ("plano-input-tokens", "Input token rate", "A"): check_input_token_rate,
    ("plano-input-tokens", "Prompt-cache hit rate", "A"): check_cache_hit,
    ("plano-input-tokens", "Mean input tokens per request", "A"): check_mean_input,
    ("plano-output-tokens", "Output tokens/s by provider and model", "A"): check_completion_by_model,
    ("plano-output-tokens", "Zero-token responses", "A"): check_zero_share,
    **ROUTING_SPEND_CHECKS,
}


def test_checks_name_real_panels(compiled):
    panels = {(d["uid"], p["title"], t["refId"]) for d in compiled.values()
              for p in d["panels"] for t in p.get("targets", [])}
    assert set(CHECKS) <= panels


@pytest.mark.parametrize("name", DASHBOARDS)
def test_every_target_is_compared_with_the_truth(plano_stack, compiled, name, report):
    ctx = _context(plano_stack)
    dashboard = compiled[name]
    errors = prove(ctx, dashboard, CHECKS)
    report(f"\n{dashboard['uid']}: targets by check (tolerance)\n{summary(ctx)}")  # with -v
    assert errors == [], "\n".join(errors)
    targets = sum(len(p.get("targets", [])) for p in dashboard["panels"])
    assert targets_compared(ctx) == targets, "a target was not compared with the truth"
    labelled = [v for v in dashboard["templating"]["list"] if v["type"] == "query"
                and not re.search(r",\s*(job|instance)\)$", v["query"])]
    assert ctx.kinds[("variable values", "exact set")] == len(labelled)


def _mutate(compiled, uid, title, fn):
    d = copy.deepcopy(compiled[f"{uid}.json"])
    panel = next(p for p in d["panels"] if p["title"] == title)
    fn(panel)
    return d


def _replace(old: str, new: str, ref: int = 0):
    def mutate(panel):
        t = panel["targets"][ref]
        assert old in t["expr"], t["expr"]
        t["expr"] = t["expr"].replace(old, new)
    return mutate


@pytest.mark.parametrize("uid, title, mutate, expected", [
    ("plano-llm-requests", "TTFT p95", _replace("0.95", "0.5"), "shows"),
    ("plano-llm-requests", "TTFT p95",
     _replace("time_to_first_token", "envoy_wasmcustom_time_to_first_token"), "no data"),
    ("plano-llm-requests", "Request latency p95",
     lambda p: p["fieldConfig"]["defaults"].update(unit="s"), "unit 's'"),
    ("plano-llm-requests", "LLM request rate",
     lambda p: p["targets"][0].update(expr=p["targets"][0]["expr"] + " / 1000"), "rate is"),
    # a quantile over raw cumulative buckets (no rate): not a shape the truth can model
    ("plano-llm-requests", "TTFT p95", lambda p: p["targets"][0].update(
        expr='histogram_quantile(0.95, sum by (le) (time_to_first_token_bucket{job=~"$job"}))'),
     "cannot be checked against the truth"),
    # an hourly figure without "hour" in its unit or name
    ("plano-input-tokens", "Input token rate",
     lambda p: p["targets"][0].update(expr=f"{p['targets'][0]['expr']} * 3600"), "rate is"),
])
def test_a_broken_panel_fails_naming_it(plano_stack, compiled, uid, title, mutate, expected):
    broken = _mutate(compiled, uid, title, mutate)
    errors = prove(_context(plano_stack), broken)
    assert errors and all(f"panel {title!r}" in e for e in errors), errors
    assert any(expected in e for e in errors), errors


def test_a_capturing_variable_regex_fails(plano_stack, compiled):
    """Grafana turns each value into the regex's first group (build/variables.py): a
    capturing group in the cluster regex empties the variable, and every $cluster panel
    shows No data. The proof resolves variables as Grafana does, so it fails."""
    d = copy.deepcopy(compiled["plano-llm-requests.json"])
    var = next(v for v in d["templating"]["list"] if v["name"] == "cluster")
    var["regex"] = var["regex"].replace("(?:", "(", 1)
    errors = prove(_context(plano_stack), d)
    assert "plano-llm-requests: variable $cluster resolved to no values (offers [''])" in errors
    assert any(": no data for " in e and 'envoy_cluster_name=~""' in e for e in errors), errors


def test_a_provider_without_5xx_shows_zero_not_no_data(plano_stack, compiled):
    """gemini never returns a 5xx, so Envoy has no 5xx series for it; a plain division
    (no ``or … * 0``) would drop gemini from the panel."""
    def plain_division(panel):
        t = panel["targets"][0]
        part, whole = t["expr"][1:].split(" or ", 1)
        t["expr"] = f"{part} / {whole.split(' * 0) / ', 1)[1]}"
    broken = _mutate(compiled, "plano-llm-requests", "5xx ratio by provider cluster", plain_division)
    panel = next(p for p in broken["panels"] if p["title"] == "5xx ratio by provider cluster")
    assert " or " not in panel["targets"][0]["expr"]
    errors = prove(_context(plano_stack), broken)
    assert len(errors) == 1 and 'no series {envoy_cluster_name="gemini"}' in errors[0], errors


def test_seconds_for_milliseconds_in_a_quantile_fails(plano_stack, compiled):
    """A TTFT line rescaled to seconds while the metric is recorded in milliseconds."""
    def rescale(panel):
        panel["targets"][0]["expr"] += " / 1000"
    broken = _mutate(compiled, "plano-llm-requests",
                     "Time to first token (p50 / p90 / p95 / p99 + mean)", rescale)
    errors = prove(_context(plano_stack), broken)
    assert len(errors) == 1, errors
    assert "panel 'Time to first token (p50 / p90 / p95 / p99 + mean)' target A" in errors[0]
    assert "but the true p50 is" in errors[0] and " ms " in errors[0]


@pytest.mark.parametrize("uid, title, convert", [
    ("plano-llm-requests", "TTFT p95",  # the same ``/ 1000`` is right on a seconds panel
     lambda p: (p["targets"][0].update(expr=p["targets"][0]["expr"] + " / 1000"),
                p["fieldConfig"]["defaults"].update(unit="s"))),
    ("plano-input-tokens", "Input token rate",  # and ``* 3600`` on a per-hour one
     lambda p: (p["targets"][0].update(expr=p["targets"][0]["expr"] + " * 3600"),
                p.update(title="Input tokens per hour"))),
])
def test_a_conversion_the_panel_explains_passes(plano_stack, compiled, uid, title, convert):
    fixed = _mutate(compiled, uid, title, convert)
    fixed["panels"] = [p for p in fixed["panels"] if p.get("title") in (title, "Input tokens per hour")]
    ctx = _context(plano_stack)
    assert prove(ctx, fixed) == []
    assert targets_compared(ctx) == 1


def test_spend_at_list_price_for_every_kind_fails(plano_stack, compiled):
    """Multiplying every token kind by its list price charges OpenAI-shaped cache reads
    twice (prompt already counts them): the billed series is what makes spend right."""
    def list_price(panel):
        t = panel["targets"][0]
        t["expr"] = t["expr"].replace("plano:llm_billed_usd_per_token", "plano:llm_price_usd_per_token")
    broken = _mutate(compiled, "plano-spend", "Spend per hour", list_price)
    errors = prove(_context(plano_stack), broken, CHECKS)
    assert errors and all("panel 'Spend per hour'" in e and "USD/h" in e for e in errors), errors
