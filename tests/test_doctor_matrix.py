"""``plano-grafana doctor`` against real Prometheus servers, one per broken setup.

The fault matrix (tests/support/doctor_matrix.py) starts every case's Prometheus at once;
each test reads one case with the CLI, as an operator would, and checks the finding that
names the fault, its fix, the exit code, and that the panels the fault empties carry it
as their cause. A healthy installation, whatever its job names, scrape interval, build
and unpriced models, exits 0 without an error.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from plano_grafana.cli import main
from plano_grafana.doctor.panels import CONDITION
from tests.conftest import require_binary
from tests.support.doctor_matrix import RELABEL_PREFIX, Matrix

pytestmark = pytest.mark.prometheus  # real Prometheus servers: not in `make test-fast`


@pytest.fixture(scope="module")
def matrix(tmp_path_factory, promtool):
    started = Matrix(require_binary("prometheus", "PROMETHEUS_BIN"), promtool,
                     tmp_path_factory.mktemp("doctor")).start()
    try:
        yield started
    finally:
        started.stop()


def doctor(matrix: Matrix, case: str, *args: str, fmt: str = "json", **config) -> tuple[int, dict | str]:
    result = CliRunner().invoke(main, ["doctor", "--prometheus-url", matrix.case(case).prom.url,
                                       "--config", str(matrix.config_file(case, **config)),
                                       "--format", fmt, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.output) if fmt == "json" else result.output


def findings(report: dict, check: str | None = None, severity: str | None = None) -> list[dict]:
    return [f for f in report["findings"] if (check is None or f["check"] == check)
            and (severity is None or f["severity"] == severity)]


def one(report: dict, check: str, severity: str, text: str) -> dict:
    found = [f for f in findings(report, check, severity) if text in f["message"]]
    assert len(found) == 1, (check, severity, text, [f["message"] for f in report["findings"]])
    return found[0]


def panel(report: dict, uid: str, title: str) -> dict:
    found = [p for p in report["panels"] if p["dashboard"] == uid and p["panel"] == title]
    assert len(found) == 1, (uid, title)
    return found[0]


def assert_healthy(code: int, report: dict) -> None:
    assert code == 0, findings(report, severity="error")
    assert findings(report, severity="error") == []
    unexplained = [p for p in report["panels"] if p["status"] != "ok" and p["cause"] != CONDITION]
    assert unexplained == []


def test_healthy(matrix):
    code, report = doctor(matrix, "healthy")
    assert_healthy(code, report)
    assert {p["status"] for p in report["panels"]} >= {"ok"} and len(report["panels"]) > 90
    assert all(p["cause"] == "" for p in report["panels"] if p["status"] == "ok")


def test_healthy_whatever_job_names_interval_build_and_unpriced_models(matrix):
    code, report = doctor(matrix, "variant")
    assert_healthy(code, report)
    interval = one(report, "targets", "warning", "brightstaff (job llm-metrics) every 2s")
    assert "llm-metrics" in interval["message"] and "scrape_interval = 2" in interval["fix"]
    assert "0123abcd" in one(report, "versions", "warning", "another commit")["message"]


def test_a_model_without_a_price(matrix):
    code, report = doctor(matrix, "variant")
    unpriced = one(report, "data", "warning", "no price")
    assert "mistral/mistral-unpriced-preview" in unpriced["models"]
    assert '[prices."mistral/mistral-unpriced-preview"]' in unpriced["fix"]
    # the other models are priced: spend has figures, the finding empties no panel
    assert "no model with tokens has a price" not in unpriced["message"]
    assert "affects" not in unpriced
    assert panel(report, "plano-spend", "Spend per hour")["status"] == "ok"
    assert code == 0


def test_brightstaff_not_scraped(matrix):
    code, report = doctor(matrix, "no-brightstaff")
    assert code == 1
    cause = one(report, "causes", "error", "brightstaff is not scraped")
    assert "planoai up --docker" in cause["fix"] and "9092" in cause["fix"]
    one(report, "targets", "error", "no brightstaff target")
    tokens = one(report, "families", "error", "brightstaff_llm_tokens_total missing")
    assert "plano-spend" in tokens["dashboards"] and tokens["recording_rules"]
    assert "plano-spend: Spend per hour" in tokens["panels"]
    build_info = one(report, "families", "error", "brightstaff_build_info missing")
    assert "plano-spend: $bs_job" in build_info["variables"]
    assert "plano-spend: Spend per hour" in build_info["panels"]
    assert panel(report, "plano-spend", "Spend per hour") == {
        "dashboard": "plano-spend", "panel": "Spend per hour", "status": "empty",
        "cause": cause["message"]}
    assert panel(report, "plano-llm-requests", "LLM request rate")["status"] == "ok"


def test_no_rule_files(matrix):
    code, report = doctor(matrix, "no-rules")
    assert code == 1
    prices = one(report, "rules", "error", "price constants are not loaded")
    assert "prices.yaml" in prices["fix"] and "rule_files" in prices["fix"]
    assert one(report, "rules", "warning", "recording rules are not loaded")["rules"]
    one(report, "rules", "warning", "alerts are not loaded")
    spend = panel(report, "plano-spend", "Spend per hour")
    assert spend["status"] == "empty" and spend["cause"] == prices["message"]
    assert panel(report, "plano-llm-requests", "LLM request rate")["status"] == "ok"


def test_brightstaff_names_prefixed_by_relabelling(matrix):
    code, report = doctor(matrix, "prefixed")
    assert code == 1
    cause = one(report, "causes", "error", "under another name")
    assert cause["fix"] == f'set [metrics] brightstaff_prefix = "{RELABEL_PREFIX}" in plano-grafana.toml'
    assert cause["prefix"] == RELABEL_PREFIX
    assert len(findings(report, "families", "error")) == 17
    assert panel(report, "plano-spend", "Spend per hour")["cause"] == cause["message"]


def test_brightstaff_prefix_key_reads_the_renamed_series(matrix):
    code, report = doctor(matrix, "prefixed", metrics={"brightstaff_prefix": RELABEL_PREFIX})
    assert_healthy(code, report)
    assert one(report, "families", "info", "brightstaff: 17 of 17")
    assert panel(report, "plano-spend", "Spend per hour")["status"] == "ok"
    assert findings(report, "causes") == []


def test_envoy_target_down(matrix):
    code, report = doctor(matrix, "envoy-down")
    assert code == 1
    down = one(report, "targets", "error", "Envoy admin target job=plano")
    assert "connection refused" in down["message"] and "job=plano" in down["message"]
    rate = panel(report, "plano-llm-requests", "LLM request rate")
    assert rate["status"] == "empty" and rate["cause"] == down["message"]
    assert panel(report, "plano-spend", "Spend per hour")["status"] == "ok"


def test_a_selector_the_series_lack(matrix):
    code, report = doctor(matrix, "healthy", selectors={"envoy": 'namespace="plano"'})
    assert code == 1
    target = one(report, "targets", "error", 'matcher namespace="plano" matches no target')
    assert "no namespace label" in target["message"]
    cause = one(report, "causes", "error", 'matcher namespace="plano" excludes')
    assert cause["matcher"] == 'namespace="plano"' and "[selectors] envoy" in cause["fix"]
    assert panel(report, "plano-llm-requests", "TTFT p95")["cause"] == cause["message"]
    assert panel(report, "plano-routing", "Routing decisions/s")["status"] == "ok"


def test_envoy_scraped_without_format_prometheus(matrix):
    code, report = doctor(matrix, "plain-text")
    assert code == 1
    cause = one(report, "causes", "error", "without format=prometheus")
    assert "params: {format: [prometheus]}" in cause["fix"]
    down = one(report, "targets", "error", "Envoy admin target job=plano")
    assert down["fix"] == cause["fix"]
    assert panel(report, "plano-llm-requests", "TTFT p95")["cause"] == cause["message"]


def test_scrape_interval_60s_against_15s(matrix):
    code, report = doctor(matrix, "every-minute")
    assert code == 0 and findings(report, severity="error") == []
    slow = one(report, "targets", "warning", "Envoy admin (job plano) every 1m")
    assert "config's scrape_interval is 15s" in slow["message"]
    assert slow["fix"].startswith("set scrape_interval = 60 in plano-grafana.toml")
    rate = panel(report, "plano-llm-requests", "LLM request rate")
    assert rate["status"] == "empty" and rate["cause"] == slow["message"]
    # totals over the range have an hour of samples: the window, not the data, is short
    assert panel(report, "plano-llm-requests", "Completed LLM requests")["status"] == "ok"


def test_a_dotted_base_url_provider(matrix):
    code, report = doctor(matrix, "dotted")
    assert code == 1
    cause = one(report, "causes", "error", "#504")
    assert "ollama (cluster ollama_host.docker.internal)" in cause["message"]
    assert "envoy_cluster_docker_internal_*" in cause["message"]
    assert cause["alt_stat_name"] == "ollama_host_docker_internal"
    assert "alt_stat_name: ollama_host_docker_internal" in cause["fix"]
    by_cluster = panel(report, "plano-llm-requests", "Requests/s by provider cluster")
    assert by_cluster["status"] == "empty" and by_cluster["cause"] == cause["message"]
    assert panel(report, "plano-llm-requests", "Requests/s by provider and model")["status"] == "ok"
    # its one model has no price: every spend figure is empty, and that is their cause
    unpriced = one(report, "data", "warning", "no model with tokens has a price")
    assert unpriced["models"] == ["ollama/llama3.1"]
    spend = panel(report, "plano-spend", "Spend per hour")
    assert spend == {"dashboard": "plano-spend", "panel": "Spend per hour", "status": "empty",
                     "cause": unpriced["message"]}


def test_a_rule_that_fails_to_evaluate(matrix):
    code, report = doctor(matrix, "rule-error")
    assert code == 1
    failing = one(report, "rules", "error", "team:up_pairs:product")
    assert "(group team-extras) fails to evaluate" in failing["message"]
    assert "duplicate series" in failing["message"]


def test_recording_rules_missing_while_the_dashboards_read_them(matrix):
    code, report = doctor(matrix, "no-rules", recording_rules=True)
    assert code == 1
    missing = one(report, "rules", "error", "recording rules are not loaded and the dashboards "
                                           "read them")
    rate = panel(report, "plano-llm-requests", "LLM request rate")
    assert rate["status"] == "empty" and rate["cause"] == missing["message"]


def test_series_without_the_fleet_label(matrix):
    code, report = doctor(matrix, "rule-error", fleet={"label": "k8s_cluster"})
    assert code == 1
    bs = one(report, "data", "error", "brightstaff series of job brightstaff have no k8s_cluster")
    assert "give the targets of job brightstaff the k8s_cluster label" in bs["fix"]
    assert not [f for f in findings(report, "data") if "envoy series" in f["message"]]
    decisions = panel(report, "plano-routing", "Routing decisions/s")
    assert decisions["status"] == "empty" and decisions["cause"] == bs["message"]
    assert panel(report, "plano-llm-requests", "LLM request rate")["status"] == "ok"
    # no series carries it at all: the variable is empty, panels show everything as one
    code, report = doctor(matrix, "healthy", fleet={"label": "k8s_cluster"})
    assert code == 0
    one(report, "data", "warning", "no Plano series carries the [fleet] label k8s_cluster")


def test_text_output_lists_findings_by_severity_then_panels(matrix):
    code, text = doctor(matrix, "no-brightstaff", fmt="text")
    assert code == 1
    head, _, table = text.partition("\nPanels: ")
    severities = [line.split()[0] for line in head.splitlines()[2:] if line[:1].isupper()]
    assert severities == sorted(severities, key=["ERROR", "WARN", "INFO"].index)
    assert "fix: in `planoai up --docker` mode" in head
    assert table.splitlines()[1].split() == ["dashboard", "panel", "status", "cause"]
    assert re.search(r"^plano-spend +Spend per hour +empty +brightstaff is not scraped", table, re.M)


def test_one_dashboard(matrix):
    code, report = doctor(matrix, "no-rules", "--dashboard", "plano-llm-requests")
    assert {p["dashboard"] for p in report["panels"]} == {"plano-llm-requests"}
    # the spend dashboard is not diagnosed: the missing price rules empty nothing here
    assert one(report, "rules", "info", "price constants")["severity"] == "info"
    assert code == 0
    code, report = doctor(matrix, "no-rules", "--dashboard", "plano-llm-requests",
                          "--dashboard", "plano-spend")
    assert {p["dashboard"] for p in report["panels"]} == {"plano-llm-requests", "plano-spend"}
    assert one(report, "rules", "error", "price constants")  # now a dashboard reads them
    assert code == 1
