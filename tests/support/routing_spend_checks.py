"""Value checks of the routing and spend dashboards against the simulator's truth.

Each check takes ``(ctx, where, result)`` like the other end-to-end checks. Rates and
ratios are recomputed from the truth log over the same window; dollars multiply the
recorded token increments by the same price table the rules were generated from.
"""

from __future__ import annotations

from collections import defaultdict

from plano_grafana.lint import syntax as promql
from plano_grafana.model import catalogue as c
from plano_grafana.model import config, prices
from tests.support.proof import Context, near

RATE_TOL = 0.15  # Poisson noise of ~1000 events in the window, and rate extrapolation
TOKEN_TOL = 0.25  # heavy-tailed token counts: a few long prompts dominate a sum
RATIO_ABS = 0.05  # absolute tolerance of a share
#: Total spend over all models, against token rates the truth evaluator computes from the
#: same scrapes as Prometheus (so a long prompt near the window's edge falls on the same
#: side in both): charging cache reads twice is ~15 % more with the simulator's mix.
SPEND_TOL = 0.07


def _since(ctx: Context) -> float:
    return ctx.at - ctx.window


def _single(result) -> float:
    assert len(result) == 1, result
    return float(result[0]["value"][1])


def _by(result, *labels: str) -> dict[tuple[str, ...], float]:
    return {tuple(s["metric"].get(k, "") for k in labels): float(s["value"][1]) for s in result}


def _ratio(ctx: Context, where: str, got: float, want: float, what: str) -> None:
    if abs(got - want) > RATIO_ABS:
        ctx.errors.append(f"{where}: {what} {got:.4f}, truth {want:.4f}")


def _rate(ctx: Context, metric: c.Metric, **labels) -> float:
    """The truth's rate as Prometheus computes it from the same scrapes (the proof's
    evaluator: scrape-aligned, extrapolated): at well under one event a second, a count of
    events over the nominal window moves by one event whenever a scrape lands late."""
    matchers = ",".join(f'{k}="{v}"' for k, v in labels.items())
    expr = f"sum(rate({metric.series()}{{{matchers}}}[{ctx.rate_interval}]))"
    return sum(v.val for v in ctx.evaluator().vector(promql.parse(expr), ctx.at).values())


# --- routing
def check_decision_rate(ctx, where, result):
    near(ctx, where, _single(result), _rate(ctx, c.BS_ROUTER_DECISIONS), RATE_TOL, "decisions/s")


def check_decisions_by_model(ctx, where, result):
    got = _by(result, "selected_model")
    for (model,), value in got.items():
        near(ctx, f"{where} [{model}]", value,
             _rate(ctx, c.BS_ROUTER_DECISIONS, selected_model=model), 0.3, "decisions/s")
    assert {"none", "openai/gpt-4o"} <= {m for (m,) in got}, got


def check_fallback_ratio(ctx, where, result):
    want = _rate(ctx, c.BS_ROUTER_DECISIONS, fallback="true") / _rate(ctx, c.BS_ROUTER_DECISIONS)
    _ratio(ctx, where, _single(result), want, "fallback ratio")


def check_session_hit_ratio(ctx, where, result):
    hit = _rate(ctx, c.BS_SESSION_CACHE_EVENTS, outcome="hit")
    miss = _rate(ctx, c.BS_SESSION_CACHE_EVENTS, outcome="miss")
    _ratio(ctx, where, _single(result), hit / (hit + miss), "session-cache hit ratio")


def check_http_5xx_ratio(ctx, where, result):
    want = (_rate(ctx, c.BS_HTTP_REQUESTS, status_class="5xx") / _rate(ctx, c.BS_HTTP_REQUESTS))
    if abs(_single(result) - want) > 0.01:
        ctx.errors.append(f"{where}: 5xx ratio {_single(result):.4f}, truth {want:.4f}")


def check_routing_outcome_shares(ctx, where, result):
    total = _rate(ctx, c.BS_ROUTING_SERVICE_REQUESTS)
    got = _by(result, "outcome")
    assert {o for (o,) in got} == set(c.BS_ROUTING_OUTCOMES), got
    for (outcome,), value in got.items():
        want = _rate(ctx, c.BS_ROUTING_SERVICE_REQUESTS, outcome=outcome) / total
        _ratio(ctx, f"{where} [{outcome}]", value, want, "share")


def check_requests_by_handler(ctx, where, result):
    for (handler,), value in _by(result, "handler").items():
        want = _rate(ctx, c.BS_HTTP_REQUESTS, handler=handler)
        if want * ctx.window >= 100:  # enough events for a 15 % bound
            near(ctx, f"{where} [{handler}]", value, want, RATE_TOL, "requests/s")


# --- spend
#: Index of the billed price in ``prices.per_token``'s (list, billed) pairs.
BILLED = 1


def _token_dollars(ctx: Context) -> tuple[dict, dict]:
    """Per (provider, model): USD/s at the billed price, and unpriced tokens/s per
    (provider, model, kind)."""
    table = prices.per_token(prices.table(config.DEFAULT))
    usd: dict = defaultdict(float)
    unpriced: dict = defaultdict(float)
    for _, labels, value in ctx.truth.events(c.BS_LLM_TOKENS.name, _since(ctx), ctx.at):
        key = (labels["provider"], labels["model"], labels["kind"])
        if key in table:
            usd[key[:2]] += value * table[key][BILLED] / ctx.window
        else:
            unpriced[key] += value / ctx.window
    return usd, unpriced


def check_spend_per_hour(ctx, where, result):
    """The total at the billed price. The token rates come from the proof's evaluator,
    aligned to Prometheus's own scrapes and extrapolated as ``rate()`` does, not from the
    event log over the nominal window: one long prompt (tens of thousands of tokens at
    $15/M) on the other side of a scrape moves the hourly figure by more than the 15 %
    this check must tell apart, and under load a scrape lands up to a second late."""
    table = prices.per_token(prices.table(config.DEFAULT))
    rates = ctx.evaluator().vector(
        promql.parse(f"rate({c.BS_LLM_TOKENS.name}[{ctx.rate_interval}])"), ctx.at)
    want = 0.0
    for labels, value in rates.items():
        found = dict(labels)
        key = (found.get("provider", ""), found.get("model", ""), found.get("kind", ""))
        if key in table:
            want += value.val * table[key][BILLED]
    near(ctx, where, _single(result), 3600 * want, SPEND_TOL, "USD/h")


def check_cost_per_response(ctx, where, result):
    usd, _ = _token_dollars(ctx)
    responses = sum(1 for _, labels, _ in ctx.truth.events(
        c.BS_PROMPT_CACHE_REQUESTS.name, _since(ctx), ctx.at)
        if (labels["provider"], labels["model"]) in usd)
    near(ctx, where, _single(result), sum(usd.values()) * ctx.window / responses, SPEND_TOL,
         "USD per response")


def check_spend_by_model(ctx, where, result):
    usd, _ = _token_dollars(ctx)
    got = _by(result, "provider", "model")
    assert set(got) == {k for k, v in usd.items() if v}, (got, usd)
    for key, value in got.items():
        near(ctx, f"{where} [{'/'.join(key)}]", value, 3600 * usd[key], TOKEN_TOL, "USD/h")


def check_unpriced_by_model(ctx, where, result):
    _, unpriced = _token_dollars(ctx)
    per_model: dict = defaultdict(float)
    for (provider, model, _), value in unpriced.items():
        per_model[(provider, model)] += value
    got = _by(result, "provider", "model")
    assert set(got) == set(per_model) == {("anthropic", "claude-sonnet-4"), ("ollama", "llama3.1")}, got
    for key, value in got.items():
        near(ctx, f"{where} [{'/'.join(key)}]", value, per_model[key], TOKEN_TOL, "unpriced tok/s")


def check_cache_read_savings(ctx, where, result):
    table = prices.per_token(prices.table(config.DEFAULT))
    want: dict = defaultdict(float)
    for _, labels, value in ctx.truth.events(c.BS_LLM_TOKENS.name, _since(ctx), ctx.at,):
        key = (labels["provider"], labels["model"])
        if labels["kind"] == "cache_read" and (*key, "prompt") in table:
            gap = table[(*key, "prompt")][0] - table[(*key, "cache_read")][0]
            want[key] += 3600 * value * gap / ctx.window
    for key, value in _by(result, "provider", "model").items():
        near(ctx, f"{where} [{'/'.join(key)}]", value, want[key], TOKEN_TOL, "saved USD/h")


CHECKS = {
    ("plano-routing", "Routing decisions/s", "A"): check_decision_rate,
    ("plano-routing", "Decisions/s by route and selected model", "A"): check_decisions_by_model,
    ("plano-routing", "Fallback ratio", "A"): check_fallback_ratio,
    ("plano-routing", "Session-cache hit ratio", "A"): check_session_hit_ratio,
    ("plano-routing", "brightstaff 5xx ratio", "A"): check_http_5xx_ratio,
    ("plano-routing", "/routing outcomes (share)", "A"): check_routing_outcome_shares,
    ("plano-routing", "brightstaff requests/s by handler", "A"): check_requests_by_handler,
    ("plano-spend", "Spend per hour", "A"): check_spend_per_hour,
    ("plano-spend", "Mean cost per response", "A"): check_cost_per_response,
    ("plano-spend", "Spend per hour by provider and model", "A"): check_spend_by_model,
    ("plano-spend", "Spend per hour by provider and model", "B"): check_unpriced_by_model,
    ("plano-spend", "Saved by cache reads per hour by model", "A"): check_cache_read_savings,
}
