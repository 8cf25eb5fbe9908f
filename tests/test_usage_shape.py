"""Two numbers that must mean what their titles say (issue 20 item 9), against known truth.

* "Estimated ÷ reported input tokens" compares one request with one: Plano estimates every
  request (rate-limited and failed ones too) but providers report usage only on the
  responses that have it, and Anthropic-shaped usage leaves cache tokens out of ``prompt``.
* Spend takes the usage shape from the provider's interface in Plano's config (a provider
  speaking Anthropic's API under another name), or from ``prompt_excludes_cache``.
"""

from __future__ import annotations

import textwrap

import attr
import pytest
import yaml

from plano_grafana import pipeline
from plano_grafana.build.expand import expand
from plano_grafana.build.queries import Queries
from plano_grafana.build.rules import prices as price_rules
from plano_grafana.model import catalogue as c
from plano_grafana.model import config
from plano_grafana.model import plano_config as pc
from plano_grafana.simulate.profiles import DEFAULT_PROVIDERS, Profile, providers_from
from plano_grafana.simulate.simulator import Simulator
from tests.test_spend_rules import _promtool_test

PLANO = textwrap.dedent("""\
    model_providers:
      - model: openai/gpt-4o
      - model: claude-proxy/claude-sonnet-4
        provider_interface: anthropic
        base_url: http://claudeproxy:8443
""")
PRICES = textwrap.dedent("""\
    [prices."claude-proxy/claude-sonnet-4"]
    input = 3
    output = 15
    cache_read = 0.3
    cache_write = 3.75
""")
VARIABLES = {"job": ".*", "instance": ".*", "bs_job": ".*", "bs_instance": ".*",
             "provider": ".*", "model": ".*"}
DRIFT = "Estimated ÷ reported input tokens"


def load(tmp_path, how: str) -> config.Config:
    """The config: shape from Plano's config, from the key, or not known at all."""
    (tmp_path / "plano_config.yaml").write_text(PLANO)
    text = {"plano": 'plano_config = "plano_config.yaml"\n',
                     "key": 'prompt_excludes_cache = ["anthropic", "claude-proxy"]\n',
                     "unknown": ""}[how] + PRICES
    (tmp_path / "plano-grafana.toml").write_text(text)
    return config.load(tmp_path / "plano-grafana.toml")


def _series(name: str, per_minute: float, **labels: str) -> dict:
    text = ",".join(f'{k}="{v}"' for k, v in {"job": "j", "instance": "a", **labels}.items())
    return {"series": f"{name}{{{text}}}", "values": f"0+{per_minute:g}x15"}


def _expr(expr: str, scale: float) -> str:
    return f"round(({expand(expr, VARIABLES, rate_interval='5m', range_='10m')}) * {scale:g})"


def _panel_expr(cfg: config.Config, title: str) -> str:
    dashboard = pipeline.build(cfg)["plano-input-tokens.json"]
    return next(p for p in dashboard["panels"] if p["title"] == title)["targets"][0]["expr"]


@pytest.mark.parametrize("how, expected", [("plano", 909), ("key", 909), ("unknown", 1129)])
def test_tokenizer_drift_compares_one_request_with_one(promtool, tmp_path, how, expected):
    """Per minute: 100 requests estimated at 1000 tokens each; 30 % fail or are rate
    limited, so 70 responses report usage: 40 from openai with 1100 prompt tokens (200
    of them cached, counted inside), 30 from claude-proxy (Anthropic's API) with 600
    prompt tokens plus 500 cache reads reported apart. Every response is 1100 tokens, the
    estimate 1000: the true drift is 1000 / 1100 = 0.909. The old panel divided the totals,
    100000 / 62000 = 1.61; without knowing claude-proxy's shape the means give 1.129."""
    cfg = load(tmp_path, how)
    series = [
        _series("input_sequence_length_sum", 100 * 1000),
        _series("input_sequence_length_count", 100),
        _series(c.BS_LLM_TOKENS.name, 40 * 1100, provider="openai", model="gpt-4o", kind="prompt"),
        _series(c.BS_LLM_TOKENS.name, 40 * 200, provider="openai", model="gpt-4o",
                kind="cache_read"),
        _series(c.BS_LLM_TOKENS.name, 30 * 600, provider="claude-proxy", model="claude-sonnet-4",
                kind="prompt"),
        _series(c.BS_LLM_TOKENS.name, 30 * 500, provider="claude-proxy", model="claude-sonnet-4",
                kind="cache_read"),
        _series(c.BS_PROMPT_CACHE_REQUESTS.name, 40, provider="openai", model="gpt-4o",
                outcome="hit"),
        _series(c.BS_PROMPT_CACHE_REQUESTS.name, 30, provider="claude-proxy",
                model="claude-sonnet-4", outcome="hit"),
    ]
    tests = [{"interval": "1m", "input_series": series, "promql_expr_test": [
        {"expr": _expr(_panel_expr(cfg, DRIFT), 1000), "eval_time": "10m",
         "exp_samples": [{"labels": "{}", "value": expected}]}]}]
    _promtool_test(promtool, tmp_path, [], tests)


@pytest.mark.parametrize("how, expected", [("plano", 1725), ("key", 1725), ("unknown", 975)])
def test_spend_follows_the_interface_not_the_name(promtool, tmp_path, how, expected):
    """claude-proxy speaks Anthropic's API: per second 300 prompt tokens (cache excluded),
    50 completion, 250 cache reads. The bill: 300 × 3 + 50 × 15 + 250 × 0.3 = 1725 µ$/s.
    Taken for OpenAI-shaped (the cache reads inside prompt), the same series bill
    900 + 750 − 250 × 2.7 = 975 µ$/s."""
    cfg = load(tmp_path, how)
    q = Queries(cfg)
    labels = {"provider": "claude-proxy", "model": "claude-sonnet-4"}
    series = [_series(c.BS_LLM_TOKENS.name, per_second * 60, **labels, kind=kind)
              for kind, per_second in (("prompt", 300), ("completion", 50), ("cache_read", 250))]
    spend = _expr(q.priced(c.BS_LLM_TOKENS, c.BILLED, by=("provider", "model")), 1e6)
    tests = [{"interval": "1m", "input_series": series, "promql_expr_test": [
        {"expr": spend, "eval_time": "10m", "exp_samples": [
            {"labels": '{provider="claude-proxy",model="claude-sonnet-4"}', "value": expected}]}]}]
    _promtool_test(promtool, tmp_path, price_rules.groups(cfg), tests)


def test_plano_config_decides_for_its_providers_and_the_key_for_the_rest(tmp_path):
    (tmp_path / "plano_config.yaml").write_text(PLANO)
    (tmp_path / "plano-grafana.toml").write_text(
        'plano_config = "plano_config.yaml"\nprompt_excludes_cache = ["openai", "bedrock"]\n')
    cfg = config.load(tmp_path / "plano-grafana.toml")
    # openai speaks OpenAI's API in Plano's config, whatever the key says; bedrock is not
    # in Plano's config, so the key decides
    assert cfg.prompt_excludes_cache == ("bedrock", "claude-proxy")


def test_simulated_provider_speaks_the_interface_plano_configures():
    providers = {p.provider: p for p in providers_from(pc.providers(yaml.safe_load(PLANO)))}
    assert providers["claude-proxy"].prompt_excludes_cache
    assert not providers["openai"].prompt_excludes_cache


def test_drift_formula_recovers_the_simulators_true_drift():
    """Seeded traffic with a known tokenizer drift (providers report 1.1 × the estimate)
    and 30 % upstream errors: the panel's per-request formula, computed from the truth
    log, recovers 1 / 1.1; the old ratio of totals does not."""
    providers = tuple(attr.evolve(p, p_5xx=0.3) for p in DEFAULT_PROVIDERS)
    sim = Simulator(Profile(seed=11, rate=200, tokenizer_drift=1.1, providers=providers))
    sim.step(60)
    truth = sim.truth
    estimates = truth.values(c.INPUT_SEQUENCE_LENGTH.name, 0)
    apart = {p.provider for p in providers if p.prompt_excludes_cache}
    reported = (sum(truth.values(c.BS_LLM_TOKENS.name, 0, kind="prompt"))
                + sum(truth.values(c.BS_LLM_TOKENS.name, 0, kind={"cache_read", "cache_write"},
                                   provider=apart)))
    responses = len(truth.values(c.BS_PROMPT_CACHE_REQUESTS.name, 0))
    per_request = (sum(estimates) / len(estimates)) / (reported / responses)
    totals = sum(estimates) / sum(truth.values(c.BS_LLM_TOKENS.name, 0, kind="prompt"))
    assert per_request == pytest.approx(1 / 1.1, rel=0.01)
    assert abs(totals - 1 / 1.1) > 0.2
