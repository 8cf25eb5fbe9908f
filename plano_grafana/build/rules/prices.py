"""Prices as constant recording rules, so PromQL can multiply tokens by dollars.

Two series per ``(provider, model, kind)`` of the merged price table
(:func:`plano_grafana.model.prices.table`), USD per token, ``kind`` being brightstaff's token kind:

* ``plano:llm_price_usd_per_token`` — the list price (``prompt`` = input price);
* ``plano:llm_billed_usd_per_token`` — what a token counted under that kind adds to the
  bill given how brightstaff counts it (see :func:`plano_grafana.model.prices.per_token`).

Spend is ``rate(brightstaff_llm_tokens_total) * on(provider, model, kind) group_left
plano:llm_billed_usd_per_token``. Tokens of a model with no price have no series to
join with; the spend dashboard shows them as "unpriced" rather than as $0.
"""

from __future__ import annotations

from plano_grafana.model import catalogue as c
from plano_grafana.model import prices
from plano_grafana.model.config import Config

GROUP = "plano-prices"


def _value(usd: float) -> str:
    return f"vector({usd!r})" if usd else "vector(0)"


def groups(cfg: Config) -> list[dict]:
    rules = []
    for metric, index in ((c.PRICE, 0), (c.BILLED, 1)):
        table = prices.per_token(prices.table(cfg), cfg.prompt_excludes_cache)
        for (provider, model, kind), values in table.items():
            rules.append({"record": metric.name, "expr": _value(values[index]),
                          "labels": {"provider": provider, "model": model, "kind": kind}})
    return [{"name": GROUP, "rules": rules}]
