"""Recording-rule mode, every target compared with the truth (as the raw dashboards are).

A second Prometheus scrapes the shared stack's simulator and evaluates the generated
recording rules every second; the dashboards compiled with ``recording_rules = true`` read
the recorded series, and the truth evaluator reads each recorded series through its rule,
at the instants Prometheus evaluated it. Needs the recording-rule mode (``pipeline.rules``,
``rules_compiler``); on a branch without it the module is skipped with that reason.
"""

from __future__ import annotations

import importlib
import time

import attr
import pytest

from plano_grafana import pipeline
from plano_grafana.lint.walk import query_panels
from plano_grafana.model import config
from tests.conftest import require_binary
from tests.support.prometheus import Prometheus
from tests.support.proof import Context, prove, summary, targets_compared
from tests.support.stack import scrape_config

rules_compiler = pytest.importorskip("plano_grafana.build.rules_compiler",
                                     reason="recording-rule mode is not on this branch")
pytestmark = pytest.mark.prometheus
WINDOW = "4s"  # the recorded rate window at a 1 s scrape interval


@pytest.fixture(scope="module")
def recording(plano_stack, tmp_path_factory):
    cfg = attr.evolve(config.DEFAULT, scrape_interval=1.0, recording_rules=True)
    out = tmp_path_factory.mktemp("recording-truth")
    files = {name: data for name, data in pipeline.rules(cfg).items() if "alert" not in name}
    rules_compiler.write(out, files)  # recorded rates, and the prices spend multiplies by
    prom = Prometheus(require_binary("prometheus", "PROMETHEUS_BIN"), scrape_config(
        plano_stack.members, rule_files=[str(out / name) for name in sorted(files)],
        extra={"global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                          "evaluation_interval": "1s"}}))
    prom.start()
    try:
        # every recorded window full: the last rule evaluation (up to one 1 s interval
        # ago) read a full WINDOW of scrapes
        prom.wait_for_window(2 * len(plano_stack.members), float(WINDOW.rstrip("s")) + 1)
        prom.wait_for("count({__name__=~\".+:rate" + WINDOW + "\"}) > 0")
        from plano_grafana.build import rules

        groups = [g for module in rules.MODULES  # record names carry the config's window
                  for g in importlib.import_module(module).groups(cfg)]
        yield prom, cfg, groups
    finally:
        prom.stop()


def test_recording_mode_targets_are_compared_with_the_truth(recording, plano_stack, report):
    prom, cfg, groups = recording
    dashboards = pipeline.build(cfg)
    at = time.time() - 1
    errors, recorded, compared, targets = [], 0, 0, 0
    for dashboard in dashboards.values():
        ctx = Context.from_stack(plano_stack, rate_interval=WINDOW, rule_groups=groups)
        ctx.prom, ctx.at = prom, at
        errors += prove(ctx, dashboard)
        report(f"\n{dashboard['uid']} (recording rules): targets by check\n{summary(ctx)}")
        compared += targets_compared(ctx)
        targets += sum(len(p["targets"]) for p in query_panels(dashboard))
        recorded += sum(":rate" in t["expr"] for p in query_panels(dashboard) for t in p["targets"])
    assert errors == [], "\n".join(errors)
    assert compared == targets, "a target was not compared with the truth"
    assert recorded > 40, "the dashboards do not read recorded series"
