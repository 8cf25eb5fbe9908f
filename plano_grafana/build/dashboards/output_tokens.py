"""Plano · Output tokens: generation length and speed.

Time per output token here is Plano's whole-request figure (duration / tokens, integer
ms, TTFT included), not vLLM's inter-token latency, and tokens/s is ``1000 // tpot``,
so both are quantized; descriptions say so where it matters.
"""

from grafanalib import core as g

from plano_grafana.build.panels import Panels, Query
from plano_grafana.build.queries import Queries
from plano_grafana.build.templating import dashboard
from plano_grafana.model import catalogue as c
from plano_grafana.model.config import Config

UID = "plano-output-tokens"
_PM = c.PROVIDER_MODEL


def build(cfg: Config) -> g.Dashboard:
    q = Queries(cfg)
    p = Panels(q)
    slo = cfg.slo
    tpot_slo = p.threshold(slo.tpot, 1000)  # seconds in the config, ms per token here
    decode_slo = p.threshold(slo.decode_speed)
    out_rate = q.rate(c.OUTPUT_SEQUENCE_LENGTH, "_sum")
    overview = [
        p.stat("Output tokens (gateway)", "Streaming: characters/4 estimate; non-streaming: "
               "usage.completion_tokens; over the selected range.",
               q.increase_in_range(c.OUTPUT_SEQUENCE_LENGTH, "_sum"), "short", instant=True),
        p.stat("Output tokens (provider-reported)", "usage.completion_tokens reported by "
               "providers over the selected range.",
               q.increase_in_range(c.BS_LLM_TOKENS, kind="completion"), "short", instant=True),
        p.stat("Output token rate", "Generated tokens per second through the gateway.",
               out_rate, c.TOKEN_RATE, sparkline=True),
        p.stat("Mean output tokens per request", "Includes the 0-token error responses "
               "(see Zero-token responses).", q.mean(c.OUTPUT_SEQUENCE_LENGTH), "short",
               decimals=0),
        p.stat("Decode speed p50", "Median per-request tokens/s, TTFT included.",
               q.quantile(0.5, c.TOKENS_PER_SECOND), c.TOKEN_RATE, thresholds=decode_slo),
        p.stat("TPOT p95", "95th percentile of whole-request ms per output token.",
               q.quantile(0.95, c.TIME_PER_OUTPUT_TOKEN), c.TIME_PER_OUTPUT_TOKEN.unit,
               thresholds=tpot_slo),
    ]
    length = [
        p.quantiles("Output length", "Output tokens per response.", c.OUTPUT_SEQUENCE_LENGTH,
                    (0.5, 0.9, 0.99), w=9),
        p.heatmap("Output length heatmap", "Bucket counts of output_sequence_length per step.",
                  c.OUTPUT_SEQUENCE_LENGTH, w=9),
        p.timeseries("Zero-token responses", "Share of responses that recorded 0 output tokens "
                     "(errors or no usage).",
                     [Query(q.share(q.rate(c.OUTPUT_SEQUENCE_LENGTH, "_bucket", le="0.5"),
                                    q.rate(c.OUTPUT_SEQUENCE_LENGTH, "_count")), "zero-token share")],
                     "percentunit", thresholds=p.threshold(slo.zero_tokens), ratio=True, w=6),
    ]
    speed = [
        p.quantiles("Time per output token", "Whole-request ms per token (integer, TTFT "
                    "included); not vLLM's inter-token latency.", c.TIME_PER_OUTPUT_TOKEN,
                    (0.5, 0.9, 0.99), thresholds=tpot_slo),
        p.heatmap("TPOT heatmap", "Bucket counts of time_per_output_token per step.",
                  c.TIME_PER_OUTPUT_TOKEN),
        p.quantiles("Decode speed", "Per-request tokens/s; the low percentiles are the slow "
                    "requests.", c.TOKENS_PER_SECOND, (0.1, 0.5, 0.9), with_mean=False,
                    thresholds=decode_slo),
        p.heatmap("Tokens/s heatmap", "Values are quantized to 1000/n by the gateway.",
                  c.TOKENS_PER_SECOND),
        p.timeseries("tokens_per_second coverage", "Share of requests with a tokens/s sample; "
                     "responses faster than 1 token/ms record TPOT 0 and are dropped "
                     "(Plano issue #999).",
                     [Query(q.share(q.rate(c.TOKENS_PER_SECOND, "_count"),
                                    q.rate(c.TIME_PER_OUTPUT_TOKEN, "_count")), "coverage")],
                     "percentunit", thresholds=p.threshold(slo.tokens_per_second_coverage),
                     ratio=True, w=24, h=6),
    ]
    by_model = [
        p.timeseries("Output tokens/s by provider and model", "Provider-reported completion "
                     "tokens per second; output tokens are the expensive ones.",
                     [Query(q.rate(c.BS_LLM_TOKENS, by=_PM, kind="completion"),
                            "{{provider}}/{{model}}")], c.TOKEN_RATE, stack=True),
        p.bargauge("Top models by output tokens", "Ten models with the most completion tokens "
                   "over the selected range.",
                   Query(q.topk(10, q.increase_in_range(c.BS_LLM_TOKENS, by=_PM, kind="completion")),
                         "{{provider}}/{{model}}"), "short"),
        p.timeseries("Output ÷ input tokens by model", "Completion tokens per prompt token.",
                     [Query(q.ratio(q.rate(c.BS_LLM_TOKENS, by=_PM, kind="completion"),
                                    q.rate(c.BS_LLM_TOKENS, by=_PM, kind="prompt")),
                            "{{provider}}/{{model}}")], "short"),
        p.stat("Peak output tokens/s in range", "Highest gateway output token rate in the "
               "selected range.",
               f"max_over_time({out_rate}[$__range:])", c.TOKEN_RATE, instant=True, w=12, h=8),
    ]
    return dashboard(
        q,
        UID, "Plano · Output tokens",
        "Generation length, time per output token, decode speed and output-token spend.",
        [("Overview", overview), ("Length", length), ("Generation speed", speed),
         ("By provider and model", by_model)],
        tags=["tokens"],
    )
