"""Plano · Input tokens: prompt size and prompt-token spend.

Two sources that must not be confused: the gateway's per-request *estimate*
(``input_sequence_length``, tiktoken, no labels) and the provider-*reported* count
(``brightstaff_llm_tokens_total{kind="prompt"}`` per provider and model). The dashboard
shows both and how far they diverge.
"""

from grafanalib import core as g

from plano_grafana.build.panels import Panels, Query
from plano_grafana.build.queries import Queries
from plano_grafana.build.templating import dashboard
from plano_grafana.model import catalogue as c
from plano_grafana.model.config import Config

UID = "plano-input-tokens"
_PM = c.PROVIDER_MODEL


def _drift(q: Queries, cfg: Config) -> str:
    """Mean estimated input per request ÷ mean reported input per response with usage.

    The estimate (``input_sequence_length``) is recorded for every request before the
    rate-limit check (llm_gateway stream_context.rs), while brightstaff counts prompt
    tokens only from responses whose usage has them (streaming.rs), and
    ``brightstaff_prompt_cache_requests_total`` counts exactly those responses. Dividing
    the totals would compare all requests with the successful ones (2 % failures read 0.947
    for a true 0.909); dividing the means compares one request with one. Providers whose
    usage leaves cache tokens out of ``prompt`` (``cfg.prompt_excludes_cache``) get them
    added back: the estimate covers the whole prompt.
    """
    prompt = q.rate(c.BS_LLM_TOKENS, ignore=_PM, kind="prompt")
    reported = prompt
    if cfg.prompt_excludes_cache:
        apart = "|".join(_regex_literal(p) for p in sorted(cfg.prompt_excludes_cache))
        cache = q.rate(c.BS_LLM_TOKENS, ignore=_PM, kind="=~cache_read|cache_write",
                       provider=f"=~{apart}")
        reported = f"({prompt} + ({q.or_zero(cache, prompt)}))"
    per_response = q.ratio(reported, q.rate(c.BS_PROMPT_CACHE_REQUESTS, ignore=_PM))
    return q.ratio(f"({q.mean(c.INPUT_SEQUENCE_LENGTH)})", f"({per_response})")


def _regex_literal(text: str) -> str:
    """``text`` matched literally by a PromQL regex inside a double-quoted string."""
    return "".join(f"\\\\{ch}" if ch in ".^$*+?()[]{}|\\" else ch for ch in text)


def build(cfg: Config) -> g.Dashboard:
    q = Queries(cfg)
    p = Panels(q)
    slo = cfg.slo
    est_rate = q.rate(c.INPUT_SEQUENCE_LENGTH, "_sum")
    overview = [
        p.stat("Input tokens (estimated)", "Gateway tiktoken estimate of the message text, "
               "summed over the selected range.",
               q.increase_in_range(c.INPUT_SEQUENCE_LENGTH, "_sum"), "short", instant=True),
        p.stat("Input tokens (provider-reported)", "usage.prompt_tokens reported by providers "
               "over the selected range.",
               q.increase_in_range(c.BS_LLM_TOKENS, kind="prompt"), "short", instant=True),
        p.stat("Input token rate", "Estimated prompt tokens per second.", est_rate, c.TOKEN_RATE,
               sparkline=True),
        p.stat("Mean input tokens per request", "Estimated prompt length, mean over requests.",
               q.mean(c.INPUT_SEQUENCE_LENGTH), "short", decimals=0),
        p.stat("Input length p95", "95th percentile of the estimated prompt length; compare "
               "with the context windows of your models.",
               q.quantile(0.95, c.INPUT_SEQUENCE_LENGTH), "short",
               thresholds=p.threshold(slo.input_length)),
        p.stat("Prompt-cache hit rate", "Responses whose usage reported cached prompt tokens.",
               q.share(q.rate(c.BS_PROMPT_CACHE_REQUESTS, outcome="hit"),
                       q.rate(c.BS_PROMPT_CACHE_REQUESTS)),
               "percentunit", thresholds=p.threshold(slo.cache_hit), decimals=1),
    ]
    distribution = [
        p.quantiles("Input length", "Estimated prompt tokens per request (the old dashboard's "
                    "\"p90\" panel was really p50).", c.INPUT_SEQUENCE_LENGTH, (0.5, 0.9, 0.99),
                    w=9),
        p.heatmap("Input length heatmap", "Bucket counts of input_sequence_length per step.",
                  c.INPUT_SEQUENCE_LENGTH, w=9),
        p.bargauge("Input length histogram (range)", "Requests per length bucket over the "
                   "selected range, per le bucket.",
                   Query(q.heatmap(c.INPUT_SEQUENCE_LENGTH, over_range=True),
                         "≤ {{le}}"), "short", w=6, fmt="heatmap"),
    ]
    by_model = [
        p.timeseries("Input tokens/s by provider and model", "Provider-reported prompt tokens "
                     "per second: the cost driver per model.",
                     [Query(q.rate(c.BS_LLM_TOKENS, by=_PM, kind="prompt"), "{{provider}}/{{model}}")],
                     c.TOKEN_RATE, stack=True),
        p.bargauge("Top models by input tokens", "Ten models with the most prompt tokens over "
                   "the selected range.",
                   Query(q.topk(10, q.increase_in_range(c.BS_LLM_TOKENS, by=_PM, kind="prompt")),
                         "{{provider}}/{{model}}"), "short"),
        p.timeseries("Input tokens by kind", "prompt, cache_read and cache_write tokens per "
                     "second. OpenAI counts cached tokens inside prompt; Anthropic reports them "
                     "apart.",
                     [Query(q.rate(c.BS_LLM_TOKENS, by=("kind",),
                                   kind="=~prompt|cache_read|cache_write"), "{{kind}}")],
                     c.TOKEN_RATE, stack=True),
        p.timeseries("Mean input tokens per response by model", "Denominator: responses that "
                     "reported prompt_tokens (prompt-cache requests).",
                     [Query(q.ratio(q.rate(c.BS_LLM_TOKENS, by=_PM, kind="prompt"),
                                    q.rate(c.BS_PROMPT_CACHE_REQUESTS, by=_PM)),
                            "{{provider}}/{{model}}")], "short"),
    ]
    quality = [
        p.timeseries("Estimated ÷ reported input tokens", "Tokenizer drift: the gateway uses "
                     "the gpt-4o BPE for non-OpenAI models and may skip system and tool text. "
                     "Per request, like with like: the mean estimate (made for every request, "
                     "rate-limited and failed ones too) over the mean input a provider reported "
                     "per response that reported usage (prompt tokens, plus cache reads and "
                     "writes where the usage counts them apart, as Anthropic's does). "
                     "Gateway-wide, so provider and model filters do not apply.",
                     [Query(_drift(q, cfg), "estimate / reported")],
                     "percentunit", thresholds=p.steps(("green", None), ("yellow", 1)), w=8),
        p.timeseries("Token rate-limit rejections", "The rate limiter charges the estimated "
                     "input tokens.", [Query(q.rate(c.RATELIMITED_RQ), "rate limited")], "reqps",
                     w=8),
        p.timeseries("Responses without usage", "Token totals are incomplete while this is "
                     "above zero.",
                     [Query(q.rate(c.BS_LLM_USAGE_MISSING, by=_PM), "{{provider}}/{{model}}")],
                     "reqps", thresholds=p.steps(("green", None), ("yellow", 0.001)), w=8),
    ]
    return dashboard(
        q,
        UID, "Plano · Input tokens",
        "Prompt sizes, prompt-token spend per model, caching and estimate drift.",
        [("Overview", overview), ("Distribution", distribution),
         ("By provider and model", by_model), ("Data quality and limits", quality)],
        tags=["tokens"],
    )
