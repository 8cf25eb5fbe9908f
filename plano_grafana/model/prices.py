"""Model list prices for the spend dashboard: one table of USD per million tokens.

Three layers, later ones win per ``provider/model`` key: the small table shipped here
(:data:`DEFAULTS`), a file in models.dev's ``api.json`` format (the catalogue Plano's own
cost routing and ``planoai obs`` read; config ``prices_file``), and the config's
``[prices]`` table. Keys are ``provider/model`` exactly as brightstaff labels its token
counter: ``provider`` is the prefix of the model name in Plano's config (``gemini``, not
models.dev's ``google``), so models.dev provider ids are mapped to Plano's prefixes.

A model missing from the merged table is not priced at $0: the spend dashboard shows its
tokens as an "unpriced" series.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from plano_grafana.errors import PlanoGrafanaError, read_user_file
from plano_grafana.model.catalogue import PROMPT_EXCLUDES_CACHE_INTERFACES
from plano_grafana.model.config import Config, Price

#: When and where the default table was read. Prices are list prices for the base context
#: tier (models.dev ``cost``: gemini-2.5-pro and grok above 200k tokens, gpt-5.4/5.5 above
#: 272k cost more; batch, priority and regional pricing are not modelled). Read from the
#: catalogue's TOML files, not re-checked against each provider's pricing page.
AS_OF = "2026-07-02"
SOURCE = ("models.dev (github.com/anomalyco/models.dev, formerly sst/models.dev), "
          "providers/<provider>/models/<model>.toml [cost] at commit f3fc6922 (2026-07-02)")


def _price(input_: float, output: float, cache_read: float | None = None,
           cache_write: float | None = None) -> Price:
    """A price where an unpublished cache rate falls back to the input rate.

    No cache-read rate means no discount is known; no cache-write rate means no write
    premium (OpenAI, Gemini and DeepSeek cache implicitly; Plano's own cost code prices
    cache creation at the input rate too, ``ModelRates::request_cost_usd``).
    """
    return Price(input_, output, input_ if cache_read is None else cache_read,
                 input_ if cache_write is None else cache_write)


#: USD per million tokens: input, output, cache read, cache write (see :data:`SOURCE`).
DEFAULTS: dict[str, Price] = {
    # OpenAI: cached input at the published cached rate; no cache-write charge
    "openai/gpt-4o": _price(2.50, 10.00, 1.25),
    "openai/gpt-4o-mini": _price(0.15, 0.60, 0.075),
    "openai/gpt-4.1": _price(2.00, 8.00, 0.50),
    "openai/gpt-4.1-mini": _price(0.40, 1.60, 0.10),
    "openai/gpt-4.1-nano": _price(0.10, 0.40, 0.025),
    "openai/gpt-5": _price(1.25, 10.00, 0.125),
    "openai/gpt-5-mini": _price(0.25, 2.00, 0.025),
    "openai/gpt-5-nano": _price(0.05, 0.40, 0.005),
    "openai/gpt-5.1": _price(1.25, 10.00, 0.125),
    "openai/gpt-5.2": _price(1.75, 14.00, 0.175),
    "openai/o3": _price(2.00, 8.00, 0.50),
    "openai/o4-mini": _price(1.10, 4.40, 0.275),
    # Anthropic: 5-minute cache writes at 1.25 x input, reads at 0.1 x
    "anthropic/claude-sonnet-4-0": _price(3.00, 15.00, 0.30, 3.75),
    "anthropic/claude-sonnet-4-20250514": _price(3.00, 15.00, 0.30, 3.75),
    "anthropic/claude-sonnet-4-5": _price(3.00, 15.00, 0.30, 3.75),
    "anthropic/claude-sonnet-4-6": _price(3.00, 15.00, 0.30, 3.75),
    "anthropic/claude-opus-4-1": _price(15.00, 75.00, 1.50, 18.75),
    "anthropic/claude-opus-4-5": _price(5.00, 25.00, 0.50, 6.25),
    "anthropic/claude-haiku-4-5": _price(1.00, 5.00, 0.10, 1.25),
    # Gemini (Plano's prefix is "gemini"; models.dev's provider id is "google")
    "gemini/gemini-2.5-pro": _price(1.25, 10.00, 0.125),
    "gemini/gemini-2.5-flash": _price(0.30, 2.50, 0.03),
    "gemini/gemini-2.5-flash-lite": _price(0.10, 0.40, 0.01),
    "gemini/gemini-2.0-flash": _price(0.10, 0.40, 0.025),
    # Mistral: no prompt-cache pricing published in the catalogue
    "mistral/mistral-large-latest": _price(0.50, 1.50),
    "mistral/mistral-medium-latest": _price(0.40, 2.00),
    "mistral/mistral-small-latest": _price(0.15, 0.60),
    "mistral/codestral-latest": _price(0.30, 0.90),
    # Groq, DeepSeek
    "groq/llama-3.3-70b-versatile": _price(0.59, 0.79),
    "groq/llama-3.1-8b-instant": _price(0.05, 0.08),
    "deepseek/deepseek-chat": _price(0.14, 0.28, 0.0028),
    "deepseek/deepseek-reasoner": _price(0.14, 0.28, 0.0028),
}

#: models.dev provider ids → the prefixes Plano's config (and so brightstaff's ``provider``
#: label) uses for them; hermesllm accepts both ``google`` and ``gemini``.
MODELS_DEV_ALIASES: dict[str, tuple[str, ...]] = {
    "google": ("gemini", "google"),
    "togetherai": ("together_ai",),
    "zhipuai": ("zhipu",),
    "amazon-bedrock": ("amazon_bedrock",),
    "azure": ("azure_openai",),
    "alibaba": ("qwen",),
    "github-models": ("github",),
}
#: Plano's provider prefixes (hermesllm ``ProviderId``, crates/hermesllm/src/providers/id.rs,
#: with its aliases). A models.dev file contributes only these providers: the full catalogue
#: has ~5000 models (≈ 40 000 constant series), nearly all of them unreachable through Plano.
#: Other prefixes (custom ``base_url`` providers) go in the config's ``[prices]``.
PLANO_PROVIDERS = frozenset({
    "openai", "xiaomi", "mistral", "deepseek", "groq", "gemini", "google", "anthropic",
    "github", "plano", "azure_openai", "xai", "together_ai", "together", "ollama",
    "moonshotai", "zhipu", "qwen", "amazon_bedrock", "amazon", "chatgpt", "digitalocean",
    "vercel", "openrouter", "astraflow", "meta", "minimax", "edenai",
})


class PriceFileError(PlanoGrafanaError):
    """A prices file that cannot be used; the message names the file and the entry."""


def resolve_path(cfg: Config) -> Path:
    """``prices_file`` relative to the config file that names it (else the cwd)."""
    path = Path(cfg.prices_file)
    if path.is_absolute() or cfg.source == "defaults":
        return path
    return Path(cfg.source).parent / path


def load_models_dev(path: Path) -> dict[str, Price]:
    """Prices from a models.dev ``api.json``: ``{provider: {models: {id: {cost: {...}}}}}``
    with ``input``/``output``/``cache_read``/``cache_write`` in USD per million tokens.

    Models without an input and output price are skipped (as Plano's own parser does);
    providers that are not Plano prefixes are skipped (:data:`PLANO_PROVIDERS`).
    """
    text = read_user_file(path, "prices file (prices_file)", PriceFileError)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PriceFileError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PriceFileError(f"{path}: expected models.dev's object of providers, "
                             f"got {type(data).__name__}")
    out: dict[str, Price] = {}
    for provider_id in sorted(data):
        prefixes = [p for p in MODELS_DEV_ALIASES.get(provider_id, (provider_id,))
                    if p in PLANO_PROVIDERS]
        provider = data[provider_id]
        if not prefixes:
            continue
        models = provider.get("models", {}) if isinstance(provider, dict) else None
        if not isinstance(models, dict):
            raise PriceFileError(f"{path}: {provider_id}.models: expected an object of models")
        for model_id in sorted(models):
            price = _models_dev_price(path, f"{provider_id}.models.{model_id}", models[model_id])
            if price is not None:
                out.update({f"{prefix}/{model_id}": price for prefix in prefixes})
    return out


def _models_dev_price(path: Path, where: str, model: Any) -> Price | None:
    cost = model.get("cost") if isinstance(model, dict) else None
    if cost is None:
        return None
    if not isinstance(cost, dict):
        raise PriceFileError(f"{path}: {where}.cost: expected an object")
    values: dict[str, float | None] = {}
    for key in ("input", "output", "cache_read", "cache_write"):
        value = cost.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or value < 0):
            raise PriceFileError(f"{path}: {where}.cost.{key}: expected a price in USD per "
                                 f"million tokens, got {value!r}")
        values[key] = None if value is None else float(value)
    if values["input"] is None or values["output"] is None:
        return None
    return _price(values["input"], values["output"], values["cache_read"], values["cache_write"])


def table(cfg: Config) -> dict[str, Price]:
    """The merged price table for ``cfg``: defaults, then the models.dev file, then
    ``[prices]``; sorted by key so the rules built from it are deterministic."""
    merged: dict[str, Price] = dict(DEFAULTS)
    if cfg.prices_file:
        merged.update(load_models_dev(resolve_path(cfg)))
    merged.update(cfg.prices)
    return dict(sorted(merged.items()))


def per_token(prices: Mapping[str, Price],
              prompt_excludes_cache: Collection[str] = PROMPT_EXCLUDES_CACHE_INTERFACES,
              ) -> dict[tuple[str, str, str], tuple[float, float]]:
    """``(provider, model, kind) -> (list price, billed amount)`` in USD per token, for
    brightstaff's token kinds.

    ``kind="prompt"`` is priced at the input rate. The billed amount is what one token
    counted under that kind adds to the bill: brightstaff's ``prompt`` count already
    contains the cache tokens for OpenAI-shaped usage (every provider label but those in
    ``prompt_excludes_cache``: the config's, which Plano's config decides by each provider's
    interface), where they were charged the input rate, so a
    cache token there adds its cache price *minus* the input price. Summing
    ``tokens × billed`` over kinds is then the list-price bill for either convention.
    """
    out: dict[tuple[str, str, str], tuple[float, float]] = {}
    for key, price in prices.items():
        provider, model = key.split("/", 1)
        folded = provider not in prompt_excludes_cache
        per = {"prompt": price.input, "completion": price.output,
               "cache_read": price.cache_read, "cache_write": price.cache_write}
        for kind, usd_per_million in per.items():
            listed = usd_per_million / 1e6
            billed = listed - price.input / 1e6 if folded and kind.startswith("cache_") else listed
            out[(provider, model, kind)] = (_clean(listed), _clean(billed))
    return out


def _clean(value: float) -> float:
    """Drop binary noise from the per-million division (``2.5e-06``, not ``2.4999…e-06``)."""
    return float(f"{value:.12g}")
