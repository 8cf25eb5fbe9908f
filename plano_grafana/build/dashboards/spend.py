"""Plano · Spend: dollars per hour by provider and model, at list prices.

Spend is provider-reported usage (``brightstaff_llm_tokens_total``) times the constant
price series that ``plano-grafana rules`` generates from the price table
(:mod:`plano_grafana.model.prices`, :mod:`plano_grafana.build.rules.prices`):
``rate(tokens) * on(provider, model, kind) group_left plano:llm_billed_usd_per_token``.
Without those rules in Prometheus every panel is empty except "Models in the price
table", which then says so. Tokens of a model the table does not price are never $0:
they are shown as "unpriced".
"""

import attr
from grafanalib import core as g

from plano_grafana.build.panels import Panels, Query
from plano_grafana.build.queries import Queries
from plano_grafana.build.templating import BRIGHTSTAFF_VARIABLES, dashboard
from plano_grafana.model import catalogue as c
from plano_grafana.model.config import Config

UID = "plano-spend"
USD = "currencyUSD"
_PM = c.PROVIDER_MODEL
_MODEL = "{{provider}}/{{model}}"
#: How a legend or description names the rules the dashboard needs.
RULES_HINT = "load the price rules (plano-grafana rules) into Prometheus"


def _spend(q: Queries, by=(), func: str = "rate", **matchers: str) -> str:
    return q.priced(c.BS_LLM_TOKENS, c.BILLED, by, func, **matchers)


def _per_hour(expr: str) -> str:
    return f"{expr} * 3600"


def _unpriced_overlay(panel: g.TimeSeries, ref: str) -> g.TimeSeries:
    """Draw target ``ref`` (unpriced tokens/s) in red, dashed, on its own right axis."""
    override = {"matcher": {"id": "byFrameRefID", "options": ref}, "properties": [
        {"id": "unit", "value": c.TOKEN_RATE},
        {"id": "custom.axisPlacement", "value": "right"},
        {"id": "custom.stacking", "value": {"mode": "none", "group": "A"}},
        {"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
        {"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}},
    ]}
    return attr.evolve(panel, overrides=[override])


def build(cfg: Config) -> g.Dashboard:
    q = Queries(cfg)
    p = Panels(q)
    spend_rate = _spend(q)
    models = p.stat("Models in the price table", "Models with a price among the rules "
                    "Prometheus evaluates. Empty means the price rules are not loaded: "
                    f"{RULES_HINT}.", f"count(count by (provider, model) ({q.selector(c.PRICE)}))",
                    "short", w=4)
    models = attr.evolve(models, noValue="No price rules loaded")
    overview = [
        p.stat("Spend in range", "List-price cost of the provider-reported tokens in the "
               "selected range, for the selected providers and models.",
               _spend(q, func="increase"), USD, instant=True, decimals=2),
        p.stat("Spend per hour", "Current spend rate, extrapolated to an hour.",
               _per_hour(spend_rate), USD, sparkline=True, decimals=2),
        p.stat("Mean cost per response", "Spend ÷ responses that reported usage, over priced "
               "models only.",
               q.ratio(spend_rate, q.rate_where_priced(c.BS_PROMPT_CACHE_REQUESTS, c.PRICE)),
               USD, decimals=4),
        p.stat("Saved by cache reads (range)", "What the cache-read tokens would have cost "
               "more at the uncached input price, over the selected range.",
               q.price_gap(c.BS_LLM_TOKENS, c.PRICE, "cache_read", "prompt", func="increase"),
               USD, instant=True, decimals=2),
        p.stat("Unpriced tokens (range)", "Tokens of models the price table does not cover: "
               "their cost is unknown, not $0. Add them to [prices] in plano-grafana.toml.",
               q.or_zero(q.unpriced(c.BS_LLM_TOKENS, c.PRICE, func="increase"),
                         q.increase_in_range(c.BS_LLM_TOKENS)), "short",
               instant=True, thresholds=p.steps(("green", None), ("red", 1))),
        models,
    ]
    by_model = [
        _unpriced_overlay(p.timeseries(
            "Spend per hour by provider and model", "List-price USD per hour per model; the "
            "red dashed lines (right axis) are tokens/s of models with no price.",
            [Query(_per_hour(_spend(q, _PM)), _MODEL),
             Query(q.unpriced(c.BS_LLM_TOKENS, c.PRICE, by=_PM), f"{_MODEL} unpriced")],
            USD, stack=True, w=12), "B"),
        p.timeseries("Spend per hour: input vs output", "Input side (prompt, cache reads and "
                     "writes) and output side (completion tokens), USD per hour.",
                     [Query(_per_hour(_spend(q, kind="=~prompt|cache_read|cache_write")), "input"),
                      Query(_per_hour(_spend(q, kind="completion")), "output")], USD, stack=True,
                     w=6),
        p.piechart("Spend by provider (range)", "Share of the selected range's spend per "
                   "provider.", Query(_spend(q, ("provider",), "increase"), "{{provider}}"), USD,
                   w=6),
    ]
    per_request = [
        p.timeseries("Cost per response by provider and model", "Spend ÷ responses that "
                     "reported usage, per model (unpriced models have no line).",
                     [Query(q.ratio(_spend(q, _PM), q.rate(c.BS_PROMPT_CACHE_REQUESTS, by=_PM)),
                            _MODEL)], USD),
        p.table("Top models by spend (range)", "The ten models with the highest list-price "
                "spend over the selected range.",
                Query(q.topk(10, _spend(q, _PM, "increase"))), USD),
    ]
    caching = [
        p.timeseries("What prompt caching saved per hour", "Cache reads: tokens × (input − "
                     "cache-read price), saved. Cache writes: tokens × (input − cache-write "
                     "price), negative where writes cost extra (Anthropic: 1.25 × input).",
                     [Query(_per_hour(q.price_gap(c.BS_LLM_TOKENS, c.PRICE, "cache_read",
                                                  "prompt")), "cache reads"),
                      Query(_per_hour(q.price_gap(c.BS_LLM_TOKENS, c.PRICE, "cache_write",
                                                  "prompt")), "cache writes")], USD),
        p.timeseries("Saved by cache reads per hour by model", "Per model, what cache reads "
                     "saved against the uncached input price.",
                     [Query(_per_hour(q.price_gap(c.BS_LLM_TOKENS, c.PRICE, "cache_read", "prompt",
                                                  by=_PM)), _MODEL)], USD),
    ]
    prices = [
        p.timeseries("Unpriced tokens/s by provider, model and kind", "Tokens no price "
                     "applies to: add the model to [prices] (or to the models.dev file) so its "
                     "spend is counted.",
                     [Query(q.unpriced(c.BS_LLM_TOKENS, c.PRICE, by=(*_PM, "kind")),
                            f"{_MODEL} {{{{kind}}}}")], c.TOKEN_RATE,
                     thresholds=p.steps(("green", None), ("red", 0.001))),
        p.table("List prices in use (USD per million tokens)", "The price rules' list prices "
                "for the models that had tokens in the selected range (prompt = input price).",
                Query(f"{q.price_lookup(c.PRICE)} * 1000000 and on(provider, model) "
                      f"{q.increase_in_range(c.BS_LLM_TOKENS, by=_PM)}"), USD),
    ]
    return dashboard(
        q,
        UID, "Plano · Spend",
        "LLM spend by provider and model: list prices computed from provider-reported usage "
        "(brightstaff_llm_tokens_total × the price table of plano-grafana.toml, shipped "
        "defaults and models.dev), not your invoice: discounts, batch, tiered and regional "
        f"pricing are not modelled. Needs the price rules: {RULES_HINT}.",
        [("Overview", overview), ("By provider and model", by_model),
         ("Per response and top models", per_request), ("Prompt caching", caching),
         ("Prices and unpriced tokens", prices)],
        tags=["spend"], variable_names=BRIGHTSTAFF_VARIABLES,
    )
