"""A fleet behind one Prometheus (as with Thanos or Mimir): two simulated Plano clusters
relabelled ``k8s_cluster=east|west``, and the dashboards built with ``[fleet] label``.

Proves that, with only the label configured, every panel of every dashboard returns
data for each cluster selected alone, and that for the request rate, a TTFT quantile and
an error ratio the value shown for one cluster equals what the same panel shows on a
Prometheus that scrapes only that cluster (nothing summed across clusters).
"""

from __future__ import annotations

import math
import re
import time

import attr
import pytest

from plano_grafana import pipeline
from plano_grafana.build.expand import expand
from plano_grafana.lint.walk import query_panels
from plano_grafana.model import config
from plano_grafana.simulate.profiles import DEFAULT_PROVIDERS, Profile
from tests.conftest import require_binary, rule_file
from tests.support.prometheus import Prometheus
from tests.support.proof import Context, resolve_variables
from tests.support.stack import Stack, scrape_config

pytestmark = pytest.mark.prometheus
LABEL = "k8s_cluster"
WINDOW = "20s"  # two Prometheus servers scrape at different phases: a longer window evens it
#: a target whose values are prices (rule constants, the same for every installation)
_PRICE_VALUE = re.compile(r"^\(*(?:\w+ by \([^)]*\) \()?plano:")

# west differs from east: slower TTFT, more 5xx, so a sum across clusters would show
WEST = tuple(attr.evolve(p, p_5xx=min(p.p_5xx * 3 + 0.02, 0.5),
                         ttft_ms_median=p.ttft_ms_median * 2.5) for p in DEFAULT_PROVIDERS)


@pytest.fixture(scope="module")
def fleet(promtool, tmp_path_factory):
    binary = require_binary("prometheus", "PROMETHEUS_BIN")
    rules = rule_file(tmp_path_factory.mktemp("fleet-rules"))
    stack = Stack(binary, [Profile(rate=80, seed=31), Profile(rate=50, seed=32, providers=WEST)],
                  [{LABEL: "east"}, {LABEL: "west"}], promtool=promtool,
                  rule_files=[rules])
    solo = None
    try:
        stack.start()
        east = stack.members[0]
        solo = Prometheus(binary, scrape_config([east])).start()
        window = float(WINDOW.rstrip("s"))  # a full WINDOW of scrapes on both servers
        solo.wait_for_window(2, window)
        yield stack, solo, stack.ready(window)
    finally:
        if solo:
            solo.stop()
        stack.stop()


@pytest.fixture(scope="module")
def dashboards() -> dict[str, dict]:
    cfg = config.parse({"fleet": {"label": LABEL}}, "fleet.toml")
    return {d["uid"]: d for d in pipeline.build(cfg).values()}


@pytest.fixture(scope="module")
def plain() -> dict[str, dict]:
    return {d["uid"]: d for d in pipeline.build(config.DEFAULT).values()}


def resolve(prom: Prometheus, dashboard: dict, fixed: dict[str, str]) -> dict[str, str]:
    """Variables as Grafana resolves them: ``fixed`` values, every other one All."""
    ctx = Context(prom, None, time.time())  # variables only: no truth to compare with
    values = resolve_variables(ctx, dashboard, fixed)
    assert ctx.errors == [], ctx.errors
    return values


def run(prom: Prometheus, dashboard: dict, title: str, values: dict, at: float) -> list[dict]:
    panel = next(p for p in query_panels(dashboard) if p["title"] == title)
    expr = expand(panel["targets"][0]["expr"], values, rate_interval=WINDOW, range_=WINDOW)
    return prom.query(expr, at)


@pytest.mark.parametrize("uid", ["plano-llm-requests", "plano-input-tokens",
                                 "plano-output-tokens", "plano-routing", "plano-spend"])
@pytest.mark.parametrize("cluster", ["east", "west"])
def test_every_panel_has_data_for_each_cluster_alone(fleet, dashboards, uid, cluster):
    stack, _, at = fleet
    d = dashboards[uid]
    values = resolve(stack.prom, d, {LABEL: cluster})
    empty = []
    for panel in query_panels(d):
        for target in panel["targets"]:
            expr = expand(target["expr"], values, rate_interval=WINDOW, range_=WINDOW)
            result = stack.prom.query(expr, at)
            if not result:
                empty.append(f"{panel['title']} {target['refId']}")
            elif (target.get("format") != "heatmap" and LABEL in target["expr"]
                  and not _PRICE_VALUE.match(target["expr"])):
                got = {s["metric"].get(LABEL) for s in result}
                assert got == {cluster}, f"{uid}: {panel['title']}: series of {got}"
    assert empty == [], f"{uid} with {LABEL}={cluster}: no data in {empty}"


def test_both_clusters_selected_stay_apart(fleet, dashboards):
    stack, _, at = fleet
    d = dashboards["plano-llm-requests"]
    values = resolve(stack.prom, d, {})
    result = run(stack.prom, d, "TTFT p95", values, at)
    by_cluster = {s["metric"][LABEL]: float(s["value"][1]) for s in result}
    assert set(by_cluster) == {"east", "west"}
    assert by_cluster["west"] > 1.5 * by_cluster["east"], by_cluster  # west is 2.5× slower


@pytest.mark.parametrize("title, tolerance, absolute", [
    ("LLM request rate", 0.08, False),
    ("TTFT p95", 0.10, False),
    ("Upstream error ratio (5xx + 429)", 0.015, True),
])
def test_one_cluster_equals_that_cluster_scraped_alone(fleet, dashboards, plain, title,
                                                       tolerance, absolute):
    stack, solo, at = fleet
    fleet_value = run(stack.prom, dashboards["plano-llm-requests"], title,
                      resolve(stack.prom, dashboards["plano-llm-requests"], {LABEL: "east"}), at)
    alone = run(solo, plain["plano-llm-requests"], title,
                resolve(solo, plain["plano-llm-requests"], {}), at)
    assert len(fleet_value) == 1 and len(alone) == 1, (fleet_value, alone)
    got, want = float(fleet_value[0]["value"][1]), float(alone[0]["value"][1])
    assert fleet_value[0]["metric"] == {LABEL: "east"}
    assert not math.isnan(got) and not math.isnan(want)
    error = abs(got - want) if absolute else abs(got - want) / want
    assert error <= tolerance, f"{title}: east in the fleet {got:.4g}, east alone {want:.4g}"
    # and the unlabelled fleet-wide sum is different, so the check can tell them apart
    both = run(stack.prom, plain["plano-llm-requests"], title,
               resolve(stack.prom, plain["plano-llm-requests"], {}), at)
    total = float(both[0]["value"][1])
    assert abs(total - want) > (tolerance if absolute else tolerance * want), (title, total, want)
