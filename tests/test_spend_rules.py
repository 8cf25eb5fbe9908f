"""Price rules, the spend and unpriced expressions, and the router's latency rule, run by
``promtool test rules`` on series whose dollars are worked out by hand here.

The rule files are written from the modules' own ``groups(cfg)``, and the expressions are
the dashboards' query builders with Grafana's variables expanded, so what is tested is
what ships.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from plano_grafana.build.expand import expand
from plano_grafana.build.queries import Queries
from plano_grafana.build.rules import prices as price_rules
from plano_grafana.build.rules import router
from plano_grafana.model import catalogue as c
from plano_grafana.model import config, prices

q = Queries(config.DEFAULT)

_VARS = {"bs_job": ".*", "bs_instance": ".*", "provider": ".*", "model": ".*"}
_TOKENS = 'brightstaff_llm_tokens_total{{job="brightstaff",instance="a",provider="{}",model="{}",kind="{}"}}'


def _promtool_test(promtool: str, tmp_path: Path, groups: list[dict], tests: list[dict]) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    checked = subprocess.run([promtool, "check", "rules", str(tmp_path / "rules.yaml")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(
        {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests},
        sort_keys=False))
    result = subprocess.run([promtool, "test", "rules", str(tmp_path / "test.yaml")],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def _dashboard_expr(expr: str, scale: float = 1.0) -> str:
    """The expression with variables expanded, scaled and rounded to an integer: promtool
    compares floats exactly, and rate()'s arithmetic leaves 1e-15 noise."""
    return f"round(({expand(expr, _VARS, rate_interval='5m', range_='10m')}) * {scale:g})"


@pytest.fixture
def cfg(tmp_path) -> config.Config:
    """Defaults, a models.dev file (one OpenAI model overridden, one new) and [prices]."""
    (tmp_path / "models-dev.json").write_text(json.dumps({
        "openai": {"id": "openai", "models": {
            "gpt-4o": {"id": "gpt-4o", "cost": {"input": 2.0, "output": 8.0, "cache_read": 0.5}},
            "text-embedding-3-small": {"id": "text-embedding-3-small"}}},  # no cost: skipped
        "google": {"id": "google", "models": {
            "gemini-9": {"cost": {"input": 1.0, "output": 4.0}}}},
        "some-reseller": {"models": {"x": {"cost": {"input": 1, "output": 1}}}},
    }))
    (tmp_path / "plano-grafana.toml").write_text(textwrap.dedent("""
        prices_file = "models-dev.json"
        [prices."anthropic/claude-sonnet-4"]
        input = 3.0
        output = 15.0
        cache_read = 0.3
        cache_write = 3.75
    """))
    return config.load(tmp_path / "plano-grafana.toml")


def test_table_merges_defaults_file_and_config(cfg):
    merged = prices.table(cfg)
    assert merged["openai/gpt-4o"] == config.Price(2.0, 8.0, 0.5, 2.0)  # file over defaults
    assert merged["openai/gpt-4o-mini"] == prices.DEFAULTS["openai/gpt-4o-mini"]
    assert merged["gemini/gemini-9"] == merged["google/gemini-9"]  # models.dev's google
    assert merged["anthropic/claude-sonnet-4"] == config.Price(3.0, 15.0, 0.3, 3.75)
    assert "openai/text-embedding-3-small" not in merged
    assert not any(k.startswith("some-reseller/") for k in merged)
    assert list(merged) == sorted(merged)


@pytest.mark.parametrize("content, message", [
    ("{", "not valid JSON"),
    ('{"openai": {"models": {"m": {"cost": {"input": "2", "output": 1}}}}}',
     "openai.models.m.cost.input: expected a price"),
    ('{"openai": {"models": []}}', "openai.models: expected an object"),
])
def test_a_bad_prices_file_is_one_line_naming_the_entry(tmp_path, content, message):
    (tmp_path / "p.json").write_text(content)
    with pytest.raises(prices.PriceFileError, match=message) as err:
        prices.table(config.Config(prices_file=str(tmp_path / "p.json")))
    assert str(tmp_path / "p.json") in str(err.value) and "\n" not in str(err.value)


def test_missing_prices_file(tmp_path):
    with pytest.raises(prices.PriceFileError, match="no such prices file"):
        prices.table(config.Config(prices_file=str(tmp_path / "absent.json")))


def test_spend_unpriced_and_savings_on_promtool(promtool, tmp_path, cfg):
    """openai/gpt-4o (prompt counts the cached tokens), anthropic/claude-sonnet-4 (it does
    not) and ollama/llama3.1 (no price) over 10 minutes, in tokens per second:

    gpt-4o: prompt 100, completion 20, cache_read 40  → list-price bill per second
      (100 − 40) × 2e-6 + 40 × 0.5e-6 + 20 × 8e-6 = 120e-6 + 20e-6 + 160e-6 = 300e-6
    claude: prompt 50, completion 10, cache_read 30, cache_write 5
      50 × 3e-6 + 10 × 15e-6 + 30 × 0.3e-6 + 5 × 3.75e-6 = 150 + 150 + 9 + 18.75 = 327.75e-6
    ollama: prompt 70, completion 7 → unpriced, never $0
    """
    per_second = {("openai", "gpt-4o"): {"prompt": 100, "completion": 20, "cache_read": 40},
                  ("anthropic", "claude-sonnet-4"): {"prompt": 50, "completion": 10,
                                                     "cache_read": 30, "cache_write": 5},
                  ("ollama", "llama3.1"): {"prompt": 70, "completion": 7}}
    series = [{"series": _TOKENS.format(p, m, kind), "values": f"0+{rate * 60}x15"}
              for (p, m), kinds in per_second.items() for kind, rate in kinds.items()]
    pm = ("provider", "model")
    micro = 1e6  # micro-dollars
    spend = _dashboard_expr(q.priced(c.BS_LLM_TOKENS, c.BILLED, by=pm), micro * 100)
    unpriced = _dashboard_expr(q.unpriced(c.BS_LLM_TOKENS, c.PRICE, by=(*pm, "kind")))
    saved = _dashboard_expr(q.price_gap(c.BS_LLM_TOKENS, c.PRICE, "cache_read", "prompt", by=pm),
                            micro)
    in_range = _dashboard_expr(q.priced(c.BS_LLM_TOKENS, c.BILLED, func="increase"), micro)
    tests = [{"interval": "1m", "input_series": series, "promql_expr_test": [
        {"expr": 'plano:llm_price_usd_per_token{provider="openai",model="gpt-4o",kind="cache_read"}',
         "eval_time": "1m", "exp_samples": [{"labels": 'plano:llm_price_usd_per_token{provider="openai",'
                                             'model="gpt-4o",kind="cache_read"}', "value": 5e-07}]},
        {"expr": spend, "eval_time": "10m", "exp_samples": [
            {"labels": '{provider="openai",model="gpt-4o"}', "value": 30000},
            {"labels": '{provider="anthropic",model="claude-sonnet-4"}', "value": 32775}]},
        {"expr": in_range, "eval_time": "10m", "exp_samples": [  # 600 s of both
            {"labels": "{}", "value": (300 + 327.75) * 600}]},
        {"expr": unpriced, "eval_time": "10m", "exp_samples": [
            {"labels": '{provider="ollama",model="llama3.1",kind="prompt"}', "value": 70},
            {"labels": '{provider="ollama",model="llama3.1",kind="completion"}', "value": 7}]},
        # cache reads at the cached rather than the input price: 40 × 1.5e-6, 30 × 2.7e-6
        {"expr": saved, "eval_time": "10m", "exp_samples": [
            {"labels": '{provider="openai",model="gpt-4o"}', "value": 60},
            {"labels": '{provider="anthropic",model="claude-sonnet-4"}', "value": 81}]},
    ]}]
    _promtool_test(promtool, tmp_path, price_rules.groups(cfg), tests)


def test_every_priced_model_has_four_kinds_twice(cfg):
    rules = price_rules.groups(cfg)[0]["rules"]
    keys = [(r["record"], r["labels"]["provider"], r["labels"]["model"], r["labels"]["kind"])
            for r in rules]
    assert len(keys) == len(set(keys)) == 2 * 4 * len(prices.table(cfg))
    assert {r["record"] for r in rules} == {c.PRICE.name, c.BILLED.name}


def test_router_rule_gives_one_series_per_model_name(promtool, tmp_path):
    """Mean upstream seconds per ``model_name="provider/model"``, as brightstaff reads it;
    a model without traffic has no series (not NaN), and a name without "/" comes back
    without the "unknown/" brightstaff's label split put in front of it."""
    hist = ('brightstaff_llm_upstream_duration_seconds_{}'
            '{{job="brightstaff",instance="{}",provider="{}",model="{}"}}')
    series = []
    for instance in ("a", "b"):  # two brightstaff replicas add up
        for (provider, model), (count_per_min, mean) in {
                ("openai", "gpt-4o"): (60, 2.0), ("anthropic", "claude-sonnet-4-5"): (30, 4.0),
                ("unknown", "local-llm"): (8, 1.5), ("groq", "idle"): (0, 0)}.items():
            series.append({"series": hist.format("count", instance, provider, model),
                           "values": f"0+{count_per_min}x10"})
            series.append({"series": hist.format("sum", instance, provider, model),
                           "values": f"0+{count_per_min * mean}x10"})

    def sample(name: str, provider: str, model: str, value: float) -> dict:
        return {"labels": f'{router.RECORD}{{model_name="{name}",provider="{provider}",'
                          f'model="{model}"}}', "value": value}

    tests = [{"interval": "1m", "input_series": series, "promql_expr_test": [
        {"expr": router.RECORD, "eval_time": "10m", "exp_samples": [
            sample("openai/gpt-4o", "openai", "gpt-4o", 2.0),
            sample("anthropic/claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5", 4.0),
            sample("local-llm", "unknown", "local-llm", 1.5)]},
        {"expr": f"count({router.RECORD}) by (model_name)", "eval_time": "10m", "exp_samples": [
            {"labels": '{model_name="openai/gpt-4o"}', "value": 1},
            {"labels": '{model_name="anthropic/claude-sonnet-4-5"}', "value": 1},
            {"labels": '{model_name="local-llm"}', "value": 1}]},
    ]}]
    _promtool_test(promtool, tmp_path, router.groups(config.DEFAULT), tests)


def test_router_rule_follows_fleet_and_selectors():
    cfg = config.parse({"fleet": {"label": "k8s_cluster"},
                        "selectors": {"brightstaff": 'namespace="plano"'}})
    expr = router.expression(cfg)
    assert "sum by (provider, model, k8s_cluster)" in expr
    assert 'brightstaff_llm_upstream_duration_seconds_count{namespace="plano"}' in expr
