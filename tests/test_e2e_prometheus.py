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

from plano_grafana import compiler
from tests.support.proof import Context, prove, summary, targets_compared

pytestmark = pytest.mark.prometheus
RATE_INTERVAL = "10s"
DASHBOARDS = sorted(compiler.build_all())  # file names; new dashboards are proven too


def _context(stack) -> Context:
    return Context.from_stack(stack, rate_interval=RATE_INTERVAL)


@pytest.mark.parametrize("name", DASHBOARDS)
def test_every_target_is_compared_with_the_truth(plano_stack, compiled, name):
    ctx = _context(plano_stack)
    dashboard = compiled[name]
    errors = prove(ctx, dashboard)
    print(f"\n{dashboard['uid']}: targets by check (tolerance)\n{summary(ctx)}")
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
