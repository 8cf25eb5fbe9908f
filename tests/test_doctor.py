"""doctor's parts that need no Prometheus: the catalogue -> queries graph, the report's
shapes and exit codes, and the refusals (Prometheus unreachable, an unknown dashboard)."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from plano_grafana import pipeline
from plano_grafana.build import rules_compiler
from plano_grafana.cli import main
from plano_grafana.doctor import graph, names, report
from plano_grafana.doctor.findings import Finding, PanelStatus, Report
from plano_grafana.doctor.versions import _same_commit
from plano_grafana.model import catalogue as c
from plano_grafana.model import config
from tests.support.prometheus import free_port


def build_graph(cfg=config.DEFAULT, dashboards=None) -> graph.Graph:
    dashboards = dashboards if dashboards is not None else list(pipeline.build(cfg).values())
    return graph.build(dashboards, rules_compiler.build_all(cfg), names.index(cfg),
                       names.scope_labels(cfg))


def test_a_family_names_the_dashboards_panels_rules_and_alerts_that_read_it():
    deps = build_graph().dependents(c.BS_LLM_TOKENS.name)
    assert "plano-spend: Spend per hour" in deps["panels"]
    assert {"plano-spend", "plano-input-tokens", "plano-output-tokens"} <= set(deps["dashboards"])
    assert "provider_model:brightstaff_llm_tokens_total:rate1m" in deps["recording_rules"]
    upstream = build_graph().dependents(c.BS_LLM_UPSTREAM_REQUESTS.name)
    assert "PlanoProviderErrorBudgetBurn" in upstream["alerts"]
    # that alert reads only recorded ratios: it depends on the family through its records
    alert = next(r for data in rules_compiler.build_all(config.DEFAULT).values()
                 for g in data["groups"] for r in g["rules"]
                 if r.get("alert") == "PlanoProviderErrorBudgetBurn")
    assert c.BS_LLM_UPSTREAM_REQUESTS.name not in alert["expr"]


def test_a_family_a_variable_lists_its_values_from_empties_the_panels_using_it():
    deps = build_graph().dependents(c.BS_BUILD_INFO.name)
    # $bs_job comes from brightstaff_build_info; $bs_instance and $provider use $bs_job
    assert {"plano-spend: $bs_job", "plano-spend: $bs_instance", "plano-spend: $provider"} <= \
        set(deps["variables"])
    assert "plano-spend: Spend per hour" in deps["panels"]
    assert not any(v.endswith(("$job", "$cluster")) for v in deps["variables"])


def test_the_graph_reads_the_syntax_tree_never_the_titles(compiled):
    dashboards = copy.deepcopy(list(compiled.values()))
    spend = next(d for d in dashboards if d["uid"] == "plano-spend")
    panel = next(p for p in graph.data_panels(spend) if p["title"] == "Spend per hour")
    # a title that names a family reads nothing; a selector without braces is still read
    panel["title"] = "brightstaff_router_decisions_total"
    retries = "sum(rate(envoy_cluster_upstream_rq_retry[$__rate_interval]))"
    panel["targets"] = [{"refId": "A", "expr": retries},
                        {"refId": "B", "expr": '{__name__="brightstaff_build_info"}'}]
    needs = next(p for p in build_graph(dashboards=dashboards).panels
                 if p.uid == "plano-spend" and p.title == "brightstaff_router_decisions_total").needs
    assert needs == {"envoy_cluster_upstream_rq_retry", "rate:envoy_cluster_upstream_rq_retry",
                     "brightstaff_build_info"}


def test_recorded_series_count_as_the_families_they_record():
    cfg = config.parse({"recording_rules": True})
    item = next(p for p in build_graph(cfg).panels
                if p.uid == "plano-llm-requests" and p.title == "TTFT p95")
    assert c.TIME_TO_FIRST_TOKEN.name in item.needs
    assert any(n.startswith("record:job:time_to_first_token_bucket:rate") for n in item.needs)


def test_prefixed_names_map_to_their_families():
    cfg = config.parse({"metrics": {"brightstaff_prefix": "gen_ai_otel_"}})
    deps = build_graph(cfg).dependents(c.BS_LLM_TOKENS.name)
    assert "plano-spend: Spend per hour" in deps["panels"] and deps["recording_rules"]


def test_conditions_are_filters_in_the_tree():
    panels = {(p.uid, p.title): p for p in build_graph().panels}
    assert panels[("plano-spend", "Unpriced tokens/s by provider, model and kind")].condition
    assert not panels[("plano-llm-requests", "LLM request rate")].condition


def test_catalogue_commit_matches_short_and_long_shas():
    assert _same_commit("003c36ae") and _same_commit("003c36ae1234567") and _same_commit("003C36A")
    assert not _same_commit("unknown") and not _same_commit("0123abcd") and not _same_commit("003")


def _report() -> Report:
    return Report("http://prom:9090", [
        Finding("data", "warning", "2 models without a price", "price them"),
        Finding("families", "error", "x missing", "fix A", {"x"}),
        Finding("families", "error", "y missing", "fix A", {"y"}),
        Finding("targets", "error", "Envoy target down", "start it"),
        Finding("versions", "info", "build unknown"),
    ], [PanelStatus("plano-spend", "Spend per hour", "empty", "x missing"),
        PanelStatus("plano-spend", "Spend in range", "ok")])


def test_findings_come_by_severity_then_check_and_set_the_exit_code():
    r = _report()
    assert [f.message for f in r.findings] == ["Envoy target down", "x missing", "y missing",
                                               "2 models without a price", "build unknown"]
    cause = Finding("causes", "error", "renamed", "fix A", {"x"})
    assert [f.check for f in Report("u", [*r.findings, cause], []).findings][:3] == [
        "targets", "causes", "families"]
    assert r.exit_code == 1
    assert Report("u", [Finding("data", "warning", "w")], []).exit_code == 0
    with pytest.raises(ValueError, match="severity"):
        Finding("data", "fatal", "no such severity")


def test_json_has_findings_and_panels_in_the_documented_shape():
    data = json.loads(report.as_json(_report()))
    assert set(data) >= {"findings", "panels"}
    for f in data["findings"]:
        assert {"check", "severity", "message", "fix"} <= set(f) and f["severity"] in (
            "error", "warning", "info")
    assert data["panels"] == [
        {"dashboard": "plano-spend", "panel": "Spend per hour", "status": "empty", "cause": "x missing"},
        {"dashboard": "plano-spend", "panel": "Spend in range", "status": "ok", "cause": ""}]


def test_text_shows_a_shared_fix_once_after_its_findings():
    text = report.text(_report())
    assert text.count("fix: fix A") == 1
    lines = text.splitlines()
    assert lines.index("                 fix: fix A") == lines.index("ERROR  families  x missing") + 1
    assert lines.index("ERROR  families  y missing") == lines.index("ERROR  families  x missing") + 2
    # a likely cause in the run carries the fix, even after a finding that shares it
    cause = Finding("causes", "error", "renamed", "fix A", {"x"})
    run = [Finding("targets", "error", "down", "fix A"), cause,
           Finding("families", "error", "x missing", "fix A", {"x"})]
    with_cause = report.text(Report("u", run, [])).splitlines()
    assert with_cause.count("                 fix: fix A") == 1
    assert with_cause.index("                 fix: fix A") == with_cause.index("ERROR  causes    renamed") + 1
    assert "Panels: 2 (1 ok, 1 empty, 0 error)" in text


def test_unreachable_prometheus_is_exit_2_and_one_line(tmp_path):
    result = CliRunner().invoke(main, ["doctor", "--prometheus-url", f"http://127.0.0.1:{free_port()}"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("plano-grafana: error: cannot reach Prometheus at")
    assert "Traceback" not in result.output


def test_an_unknown_dashboard_is_named():
    result = CliRunner().invoke(main, ["doctor", "--prometheus-url", f"http://127.0.0.1:{free_port()}",
                                       "--dashboard", "nope"])
    assert result.exit_code == 1
    assert "--dashboard: no dashboard with uid 'nope' (known: plano-input-tokens" in result.output


def test_a_family_an_exporter_has_not_created_yet_is_info_unless_a_cause_explains_it():
    from plano_grafana.doctor import families
    from plano_grafana.doctor.context import Context

    ctx = Context(None, config.DEFAULT, build_graph(), 0.0, 3600.0,
                  present={"envoy": set(), "brightstaff": {"brightstaff_build_info"}})
    absent = {"brightstaff": [c.BS_ROUTER_SKIPS]}
    quiet = [f for f in families.check(ctx, absent, []) if "skips" in f.message]
    assert [f.severity for f in quiet] == ["info"] and "first event" in quiet[0].message
    cause = Finding("causes", "error", "renamed", "set the prefix", {c.BS_ROUTER_SKIPS.name})
    loud = [f for f in families.check(ctx, absent, [cause]) if "skips" in f.message]
    assert [(f.severity, f.fix, f.details["cause"]) for f in loud] == [("error", "set the prefix", "renamed")]
    assert loud[0].details["dashboards"] == ["plano-routing"]


class _Answers:
    """A Prometheus that answers instant queries from a table (query -> result rows)."""

    def __init__(self, rows: dict[str, list[dict]]):
        self.rows = rows

    def api(self, path: str, **params) -> dict:
        return {"result": self.rows.get(params.get("query", ""), [])}


def test_504_is_a_cluster_without_its_proper_stats_not_envoys_own_sub_scopes():
    from plano_grafana.doctor import causes
    from plano_grafana.doctor.context import Context

    def heads(*names):
        return [{"metric": {"envoy_cluster_name": n}} for n in names]

    prom = _Answers({
        "group by (envoy_cluster_name) (envoy_cluster_upstream_rq_total)": heads("openai"),
        # cluster.openai.internal.upstream_rq_completed: Envoy's own, openai has proper stats
        "group by (envoy_cluster_name) (envoy_cluster_internal_upstream_rq_completed)": heads("openai"),
        "group by (envoy_cluster_name) (envoy_cluster_docker_internal_upstream_rq_completed)":
            heads("ollama_host"),
    })
    ctx = Context(prom, config.DEFAULT, build_graph(), 0.0, 3600.0, names={
        "envoy_cluster_upstream_rq_total", "envoy_cluster_internal_upstream_rq_completed",
        "envoy_cluster_docker_internal_upstream_rq_completed",
        "envoy_cluster_docker_internal_upstream_rq_total"})
    found = causes._mangled(ctx)
    assert [f.details["alt_stat_name"] for f in found] == ["ollama_host_docker_internal"]
    assert "envoy_cluster_docker_internal_*" in found[0].message


def test_an_empty_rate_with_too_few_samples_before_the_last_step_says_so():
    from plano_grafana.doctor import panels
    from plano_grafana.doctor.context import Context
    from plano_grafana.preview.query import TargetResult, intervals

    spans = intervals(3600, 304, 15)  # a narrow panel: 15 s steps, 60 s rate window
    result = TargetResult("A", 'sum(rate(request_latency_count{job=~"plano"}[1m]))')
    asked: list[tuple[str, str]] = []

    class Recording(_Answers):
        def api(self, path, **params):
            asked.append((params["query"], params["time"]))
            return super().api(path, **params)

    prom = Recording({'count(last_over_time(request_latency_count{job=~"plano"}[3600s]))':
                      [{"metric": {}, "value": [0, "1"]}]})
    ctx = Context(prom, config.DEFAULT, build_graph(), 1000007.0, 3600.0)
    cause = panels._probe(ctx, [result], spans)
    assert cause.startswith('fewer than two samples of request_latency_count{job=~"plano"} in the '
                            "$__rate_interval (1m) before the last step")
    # asked where the range query's last step is (end rounded down to the step), not at the end
    assert asked[-1] == ('max(count_over_time(request_latency_count{job=~"plano"}[1m])) >= 2',
                         "1000005.000")


class _EveryQueryAnswers:
    """A Prometheus where every selector has series and every rate enough samples."""

    def api(self, path: str, **params) -> dict:
        return {"result": [{"metric": {}, "value": [0, "2"]}]}


@pytest.mark.parametrize("condition, failed, findings, want", [
    # a target that fails: its error is the cause, before the fallbacks
    (False, True, [], "A: bad_data: parse error"),
    # nothing explains it, the selectors have data, the expression filters
    (True, False, [], "the condition did not occur in the range"),
    # nothing explains it and it does not filter: said as it is
    (False, False, [], "every selector has series in the range, yet the expression returns "
                       "nothing"),
    # a finding on what the panel reads comes first, even for a condition
    (True, False, [Finding("rules", "error", "prices not loaded", "", {c.BILLED.name})],
     "prices not loaded"),
    # an info finding is not a cause
    (True, False, [Finding("rules", "info", "prices not loaded", "", {c.BILLED.name})],
     "the condition did not occur in the range"),
])
def test_the_cause_of_an_empty_or_failed_panel(condition, failed, findings, want):
    from plano_grafana.doctor import panels
    from plano_grafana.doctor.context import Context
    from plano_grafana.doctor.graph import PanelNeeds
    from plano_grafana.preview.query import TargetResult, intervals

    expr = 'sum(rate(brightstaff_llm_tokens_total{job=~"brightstaff"}[1m]))'
    item = PanelNeeds("plano-spend", "x", {}, {c.BS_LLM_TOKENS.name, c.BILLED.name}, condition)
    results = [TargetResult("A", expr, error="bad_data: parse error" if failed else None)]
    ctx = Context(_EveryQueryAnswers(), config.DEFAULT, build_graph(), 1000000.0, 3600.0)
    spans = intervals(3600, 912, 15)
    assert panels._cause(ctx, item, results, spans, findings, failed) == want


def test_a_failed_target_makes_the_panel_an_error_with_its_message(monkeypatch):
    from plano_grafana.doctor import panels
    from plano_grafana.doctor.context import Context
    from plano_grafana.preview.query import TargetResult

    dashboard = pipeline.build(config.DEFAULT)["plano-routing.json"]
    monkeypatch.setattr(panels, "resolve_variables", lambda *a: {})
    monkeypatch.setattr(panels, "run_target", lambda prom, target, *a: TargetResult(
        target["refId"], target["expr"], error="execution: many-to-many matching not allowed"))
    ctx = Context(_EveryQueryAnswers(), config.DEFAULT, build_graph(), 1000000.0, 3600.0)
    statuses = panels.check(ctx, [dashboard], [])
    assert statuses and {s.status for s in statuses} == {"error"}
    assert all(s.cause.endswith(": execution: many-to-many matching not allowed")
               for s in statuses)


def _target(job: str, url: str, side: str, health: str = "up", error: str = ""):
    from plano_grafana.doctor.context import Target

    instance = url.split("/")[2]
    return Target(job, instance, {"job": job, "instance": instance}, health, error, url,
                  side=side)


ENVOY_DOCKER = _target("plano", "http://localhost:19901/stats?format=prometheus", "envoy")
ENVOY_K8S = _target("plano", "http://10.0.0.7:9901/stats?format=prometheus", "envoy")
BS_UP = _target("brightstaff", "http://10.0.0.7:9092/metrics", "brightstaff")
BS_REFUSED = _target("brightstaff", "http://localhost:9092/metrics", "brightstaff", "down",
                     'Get "http://localhost:9092/metrics": dial tcp: connection refused')


@pytest.mark.parametrize("targets, want", [
    ([ENVOY_K8S, BS_UP], None),
    ([ENVOY_K8S], "brightstaff is not scraped: no job scrapes brightstaff's /metrics"),
    ([ENVOY_DOCKER], "brightstaff is not scraped: no job scrapes brightstaff's /metrics "
                     "(Envoy's admin is scraped on :19901, the docker mode's port)"),
    ([ENVOY_DOCKER, BS_REFUSED], "brightstaff is not scraped: nothing listens on brightstaff's "
                                 ":9092 where Prometheus looks (Envoy's admin is scraped on "
                                 ":19901, the docker mode's port)"),
])
def test_brightstaff_not_scraped_names_the_docker_mode_when_envoy_is_on_its_port(targets, want):
    from plano_grafana.doctor import causes
    from plano_grafana.doctor.context import Context

    ctx = Context(_Answers({}), config.DEFAULT, build_graph(), 0.0, 3600.0, targets=targets)
    found = causes._brightstaff_not_scraped(ctx)
    assert [f.message for f in found] == ([want] if want else [])
    assert all("-p 9092:9092" in f.fix and f.severity == "error" for f in found)


@pytest.mark.parametrize("version, sha, severity, says", [
    ("0.1.0", "003c36ae", "info", "the build the catalogue matches"),
    ("0.1.0", "003c36ae51f2", "info", "the build the catalogue"),  # a longer sha, same prefix
    ("0.1.0", "unknown", "info", "the build did not set GIT_SHA"),
    ("0.2.0", "unknown", "warning", "the brightstaff crate is no longer 0.1.0"),
    ("0.1.0", "0123abcd", "warning", "built from another commit"),
    ("0.2.0", "0123abcd", "warning", "built from another commit"),
])
def test_build_info_against_the_catalogues_build(version, sha, severity, says):
    from plano_grafana.doctor import versions
    from plano_grafana.doctor.context import Context

    query = "group by (version, git_sha) (brightstaff_build_info{})"  # the default selectors
    prom = _Answers({query: [{"metric": {"version": version, "git_sha": sha}}]})
    found = versions.check(Context(prom, config.DEFAULT, build_graph(), 0.0, 3600.0))
    assert [(f.severity, says in f.message) for f in found] == [(severity, True)]
