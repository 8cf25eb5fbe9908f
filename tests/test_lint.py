"""The lint framework: table tests of small hand-written cases per rule (as
grafana/dashboard-linter's ``rule_*_test.go``), the registry, the promtool runner, and that
the config given is the one linted."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import attr
import pytest
from click.testing import CliRunner

from plano_grafana.cli import main
from plano_grafana.errors import PlanoGrafanaError
from plano_grafana.lint import promtool, run
from plano_grafana.lint.registry import RULES, Context, RuleFile, names
from plano_grafana.model import config
from plano_grafana.model.windows import Windows

REPO = Path(__file__).resolve().parents[1]
RATE = 'sum(rate(ratelimited_rq{job=~"$job"}[$__rate_interval]))'
CTX = Context(frozenset(), Windows(15.0))


def target(expr: str = RATE, ref: str = "A", **extra) -> dict:
    return {"refId": ref, "expr": expr, "datasource": {"uid": "${datasource}"}, **extra}


def panel(title: str = "P", *targets: dict, pid: int = 1, x: int = 0, y: int = 0, w: int = 12,
          **extra) -> dict:
    """A panel every dashboard rule accepts, unless ``extra`` overrides a part of it."""
    return {"id": pid, "type": "timeseries", "title": title,
            "gridPos": {"x": x, "y": y, "w": w, "h": 8},
            "datasource": {"uid": "${datasource}"}, "description": "what and where",
            "fieldConfig": {"defaults": {"unit": "reqps"}},
            "targets": list(targets) or [target()], **extra}


def dash(*panels: dict, uid: str = "d", query: str = "label_values(ratelimited_rq, job)") -> dict:
    return {"uid": uid, "title": uid.upper(), "panels": list(panels),
            "templating": {"list": [{"name": "datasource", "type": "datasource"},
                                    {"name": "job", "type": "query", "query": query}]}}


def check(name: str, subject: str, item, ctx: Context = CTX) -> list[str]:
    rule = next(r for r in RULES if r.name == name and r.subject == subject)
    return sorted(str(f) for f in rule.check(item, ctx))


# --- dashboard rules -------------------------------------------------------------------

@pytest.mark.parametrize("dashboards, expected", [
    ([dash(uid="a"), dash(uid="b")], []),
    ([dash(uid="a"), {**dash(uid="a"), "title": "Other"}],
     ["a: dashboard: unique-uid: uid also used by 'A'"]),
    ([{**dash(), "uid": ""}], ["D: dashboard: unique-uid: dashboard has no uid"]),
], ids=["distinct", "duplicate", "missing"])
def test_unique_uid(dashboards, expected):
    assert check("unique-uid", "dashboards", dashboards) == expected


@pytest.mark.parametrize("d, expected", [
    (dash(panel("P", pid=1), panel("Q", pid=2, y=8)), []),
    (dash(panel("P", pid=1), panel("Q", pid=1, y=8)),
     ["d: panel 'Q': unique-panel-ids: id 1 is also used by 'P'"]),
    (dash(panel("P", pid=1), {"type": "row", "id": 2, "title": "R", "gridPos": {},
                              "panels": [panel("Q", pid=1, y=8)]}),
     ["d: panel 'Q': unique-panel-ids: id 1 is also used by 'P'"]),
    (dash({k: v for k, v in panel("P").items() if k != "id"}),
     ["d: panel 'P': unique-panel-ids: panel has no id"]),
], ids=["distinct", "duplicate", "inside-a-row", "missing"])
def test_unique_panel_ids(d, expected):
    assert check("unique-panel-ids", "dashboard", d) == expected


@pytest.mark.parametrize("d, expected", [
    (dash(panel("P", x=0), panel("Q", pid=2, x=12)), []),
    (dash(panel("P", x=20, w=10)), ["d: panel 'P': grid: gridPos x=20 w=10 crosses column 24"]),
    (dash(panel("P"), panel("Q", pid=2, x=6)), ["d: panel 'Q': grid: overlaps panel 'P'"]),
    (dash(panel("P", w=0)), ["d: panel 'P': grid: invalid gridPos {'x': 0, 'y': 0, 'w': 0, 'h': 8}"]),
], ids=["side-by-side", "overflow", "overlap", "invalid"])
def test_grid(d, expected):
    assert check("grid", "dashboard", d) == expected


@pytest.mark.parametrize("d, expected", [
    (dash(panel()), []),
    (dash(panel("P", target(datasource={"type": "prometheus", "uid": "DS_PROMETHEUS"}))),
     ["d: panel 'P': datasource: datasource is {'type': 'prometheus', 'uid': 'DS_PROMETHEUS'}, "
      "not ${datasource}"]),
    (dash(panel("P", datasource=None)), ["d: panel 'P': datasource: datasource is None, not ${datasource}"]),
    (dash({**panel("P"), "targets": []}), ["d: panel 'P': datasource: panel has no query"]),
    (dash({"type": "row", "id": 1, "title": "R", "gridPos": {}}), []),
], ids=["variable", "fixed-target", "no-panel-source", "no-query", "row"])
def test_datasource(d, expected):
    assert check("datasource", "dashboard", d) == expected


@pytest.mark.parametrize("d, expected", [
    (dash(panel()), []),
    (dash(panel("P", fieldConfig={"defaults": {}})),
     ["d: panel 'P': unit: no unit in fieldConfig.defaults.unit"]),
    (dash(panel("P", fieldConfig={})), ["d: panel 'P': unit: no unit in fieldConfig.defaults.unit"]),
], ids=["unit", "no-unit", "no-defaults"])
def test_unit(d, expected):
    assert check("unit", "dashboard", d) == expected


@pytest.mark.parametrize("d, expected", [
    (dash(panel()), []),
    (dash(panel("P", description=" ")), ["d: panel 'P': description: no description"]),
    (dash({k: v for k, v in panel("P").items() if k != "description"}),
     ["d: panel 'P': description: no description"]),
], ids=["described", "blank", "missing"])
def test_description(d, expected):
    assert check("description", "dashboard", d) == expected


_FIXED = "window [{}] in target A: use [$__rate_interval] (or [$__range] for totals)"


@pytest.mark.parametrize("expr, window", [
    (RATE, None),
    ("sum(increase(ratelimited_rq[$__range]))", None),
    ("max_over_time(sum(rate(ratelimited_rq[$__rate_interval]))[$__range:])", None),
    ("sum(rate(ratelimited_rq[5m]))", "5m"),
    ("sum(increase(ratelimited_rq[ 5m ]))", "5m"),
    ("max_over_time(sum(rate(ratelimited_rq[$__rate_interval]))[1h:])", "1h:"),
    ("max_over_time(sum(rate(ratelimited_rq[$__rate_interval]))[$__range:1m])", "$__range:1m"),
    ("sum(rate(ratelimited_rq[$__interval]))", "$__interval"),
    ("sum(rate(ratelimited_rq[5m]", None),  # does not parse: the promql rule reports it
])
def test_rate_interval(expr, window):
    expected = [f"d: panel 'P': rate-interval: {_FIXED.format(window)}"] if window else []
    assert check("rate-interval", "dashboard", dash(panel("P", target(expr)))) == expected


_Q = "histogram_quantile({}, sum by (le) (rate(time_to_first_token_bucket[$__rate_interval])))"


@pytest.mark.parametrize("title, expr, legend, expected", [
    ("TTFT p95", _Q.format("0.95"), "", []),
    ("TTFT p95", _Q.format("( (0.95) )"), "", []),
    ("TTFT", _Q.format("0.5"), "", []),
    ("TTFT p90", _Q.format("0.5"), "",
     ["title names [0.9] but the queries compute [0.5]"]),
    ("TTFT", _Q.format("0.9"), "p50 {{provider}}",
     ["legend of target A names [0.5] but the query computes [0.9]"]),
    ("TTFT p99.9", _Q.format("0.999"), "", []),
], ids=["named", "parenthesised", "unnamed", "title-mismatch", "legend-mismatch", "decimal"])
def test_quantile_name(title, expr, legend, expected):
    d = dash(panel(title, target(expr, legendFormat=legend)))
    assert check("quantile-name", "dashboard", d) == [f"d: panel {title!r}: quantile-name: {m}"
                                                      for m in expected]


@pytest.mark.parametrize("expr, query, recorded, expected", [
    (RATE, "label_values(ratelimited_rq, job)", (), []),
    ("sum(rate(envoy_wasmcustom_x[$__rate_interval]))", "label_values(ratelimited_rq, job)", (),
     ["d: panel 'P': known-metric: envoy_wasmcustom_x is not in the metrics catalogue"]),
    ('sum(rate({__name__="ratelimited_rq_total"}[$__rate_interval]))', "label_values(job)", (),
     ["d: panel 'P': known-metric: ratelimited_rq_total is not in the metrics catalogue"]),
    (RATE, "label_values(envoy_server_alive, job)", (),
     ["d: dashboard: known-metric: variable $job: envoy_server_alive is not in the metrics catalogue"]),
    ("sum(job:ratelimited_rq:rate1m)", "label_values(job)", (), []),  # a recorded rate
    ("sum(plano:lint_test_series)", "label_values(job)", (),
     ["d: panel 'P': known-metric: plano:lint_test_series is not in the metrics catalogue"]),
    ("sum(plano:lint_test_series)", "label_values(job)", ("plano:lint_test_series",), []),
], ids=["catalogue", "no-braces", "name-matcher", "variable", "recorded-rate", "unrecorded",
        "recorded"])
def test_known_metric(expr, query, recorded, expected):
    ctx = attr.evolve(CTX, recorded=frozenset(recorded))
    assert check("known-metric", "dashboard", dash(panel("P", target(expr)), query=query), ctx) == expected


@pytest.mark.parametrize("expr, expected", [
    (RATE, []),
    ("histogram_quantile(0.95, sum by (le) rate(x[$__rate_interval]))",
     ["d: panel 'P': promql: could not parse expression: "]),
    (RATE + " + on() vector($nosuchvar)", ["d: panel 'P': promql: 'unknown template variable $nosuchvar'"]),
], ids=["valid", "parse-error", "unknown-variable"])
def test_promql(expr, expected, promtool_bin):
    found = check("promql", "dashboards", [dash(panel("P", target(expr)))],
                  attr.evolve(CTX, promtool=promtool_bin))
    assert len(found) == len(expected)
    for got, want in zip(found, expected, strict=True):
        assert got.startswith(want), got


def test_promql_is_skipped_without_promtool():
    broken = dash(panel("P", target("sum(rate(x[5m]")))
    assert check("promql", "dashboards", [broken]) == []


# --- rule-file rules -------------------------------------------------------------------

ALERT = {"alert": "PlanoTargetDown", "expr": 'up{job="plano"} == 0', "labels": {"severity": "critical"},
         "annotations": {"summary": "s", "description": "d",
                         "runbook_url": "docs/runbooks.md#planotargetdown"}}


def rule_file(*rules: dict) -> RuleFile:
    return RuleFile("x.yaml", {"groups": [{"name": "g", "rules": list(rules)}]})


@pytest.mark.parametrize("entry, expected", [
    (ALERT, []),
    ({"record": "job:x", "expr": "up"}, []),
    ({**ALERT, "labels": {}},
     ["severity label is None, not one of critical, warning, info"]),
    ({**ALERT, "annotations": {"summary": "s", "description": " "}},
     ["no description annotation", "no runbook_url annotation"]),
], ids=["complete", "record", "no-severity", "no-description-or-runbook"])
def test_alert_metadata(entry, expected):
    label = f"alert {entry['alert']}" if "alert" in entry else f"record {entry['record']}"
    assert check("alert-metadata", "rule file", rule_file(entry)) == [
        f"x.yaml: group 'g': {label}: alert-metadata: {m}" for m in expected]


@pytest.mark.parametrize("url, expected", [
    ("docs/runbooks.md#planotargetdown", []),
    ("docs/runbooks.md#other", ["x.yaml: group 'g': alert PlanoTargetDown: runbook-anchor: "
                                "runbook_url 'docs/runbooks.md#other' does not end in #planotargetdown"]),
], ids=["anchored", "wrong-anchor"])
def test_runbook_anchor(url, expected):
    entry = {**ALERT, "annotations": {**ALERT["annotations"], "runbook_url": url}}
    assert check("runbook-anchor", "rule file", rule_file(entry)) == expected


@pytest.mark.parametrize("record, expr, scrape, expected", [
    ("job:ratelimited_rq:rate1m", "sum(rate(ratelimited_rq[1m]))", 15.0, []),
    ("job:ratelimited_rq:rate1m", "sum(rate(ratelimited_rq[1m]))", 30.0,
     ["[1m] is shorter than four scrape intervals (2m at scrape_interval 30s)"]),
    ("job:x:rate30s", "sum(rate(ratelimited_rq[30s]))", 15.0,
     ["[30s] is shorter than four scrape intervals (1m at scrape_interval 15s)"]),
    ("job:ratelimited_rq:rate5m", "sum(rate(ratelimited_rq[1m]))", 15.0,
     ["named rate5m but computes over ['1m']"]),
    ("job:ratelimited_rq:rate5m", "sum(rate(ratelimited_rq[300s]))", 15.0, []),
    ("job:x", "max_over_time(sum(rate(ratelimited_rq[1m]))[30s:15s])", 15.0,
     ["[30s] is shorter than four scrape intervals (1m at scrape_interval 15s)"]),
    # a string is not a window: the regex of old read "[10s]" in the replacement as one
    ("job:x", 'label_replace(up, "w", "[10s]", "job", ".*")', 15.0, []),
], ids=["four-scrapes", "slower-scrapes", "short", "misnamed", "same-window-other-spelling",
        "subquery", "string"])
def test_window(record, expr, scrape, expected):
    ctx = attr.evolve(CTX, windows=Windows(scrape))
    assert check("window", "rule file", rule_file({"record": record, "expr": expr}), ctx) == [
        f"x.yaml: group 'g': record {record}: window: {m}" for m in expected]


@pytest.mark.parametrize("expr, recorded, expected", [
    ("sum(rate(ratelimited_rq[5m]))", (), []),
    ('absent(up{job="plano"}) or ALERTS', (), []),
    ("sum(job:x:rate5m)", ("job:x:rate5m",), []),
    ("rate(envoy_wasmcustom_ratelimited_rq[5m]) > 0", (), ["envoy_wasmcustom_ratelimited_rq"]),
    # a name matcher: the regex of old stripped the braces and with them the name
    ('sum(rate({__name__="envoy_wasmcustom_x"}[5m]))', (), ["envoy_wasmcustom_x"]),
], ids=["catalogue", "builtin", "recorded-by-the-set", "unknown", "name-matcher"])
def test_known_metric_in_rules(expr, recorded, expected):
    ctx = attr.evolve(CTX, recorded=frozenset(recorded))
    assert check("known-metric", "rule file", rule_file({"record": "job:y", "expr": expr}), ctx) == [
        f"x.yaml: group 'g': record job:y: known-metric: {n} is neither in the metrics catalogue "
        "nor recorded by a rule" for n in expected]


def test_promtool_rule_names_the_file(promtool_bin):
    files = [rule_file({"record": "job:x", "expr": "sum(rate(up[5m]"}),
             RuleFile("ok.yaml", {"groups": [{"name": "h", "rules": [{"record": "job:y", "expr": "up"}]}]})]
    found = check("promtool", "rule files", files, attr.evolve(CTX, promtool=promtool_bin))
    assert len(found) == 1 and found[0].startswith('x.yaml: promtool: ')
    assert 'group "g", rule 1, "job:x": could not parse expression' in found[0]


# --- the framework ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def promtool_bin() -> str:
    from tests.conftest import require_binary

    return require_binary("promtool", "PROMTOOL_BIN")


def test_every_rule_says_why():
    assert all(r.why and not r.why.startswith(":") for r in RULES), [r.name for r in RULES if not r.why]


def test_the_readme_table_lists_every_rule():
    """The README's table of rules is the registry: same names, same subjects."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### What the linter checks", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z-]+)` \| ([a-z, ]+) \|", section, re.M)
    table = {(name, subject.strip()) for name, subjects in rows for subject in subjects.split(",")}
    registered = {(r.name, "dashboards" if r.subject.startswith("dashboard") else "rule files")
                  for r in RULES}
    assert table == registered


def test_shipped_dashboards_and_rules_are_clean(compiled, promtool_bin):
    from plano_grafana.build import rules_compiler

    assert run.dashboards(compiled.values(), config.DEFAULT) == []
    assert run.rule_files(rules_compiler.build_all(config.DEFAULT), config.DEFAULT) == []


def test_one_finding_format_for_both(compiled):
    d = copy.deepcopy(compiled["plano-output-tokens.json"])
    next(p for p in d["panels"] if p.get("title") == "TPOT p95")["description"] = ""
    files = {"x.yaml": rule_file({"record": "job:x:rate30s", "expr": "sum(rate(up[30s]))"}).data}
    assert [str(f) for f in run.dashboards([d], config.DEFAULT, promql=False)] == [
        "plano-output-tokens: panel 'TPOT p95': description: no description"]
    assert [str(f) for f in run.rule_files(files, config.DEFAULT, promtool=False)] == [
        "x.yaml: group 'g': record job:x:rate30s: window: [30s] is shorter than four scrape "
        "intervals (1m at scrape_interval 15s)"]


def test_a_fixed_window_breaks_when_the_config_scrapes_slower():
    """[1m] is four scrapes at 15 s but two at 30 s: the same file fails under that config."""
    files = {"x.yaml": rule_file({"record": "job:ratelimited_rq:rate1m",
                                  "expr": "sum(rate(ratelimited_rq[1m]))"}).data}
    assert run.rule_files(files, config.DEFAULT, promtool=False) == []
    slow = attr.evolve(config.DEFAULT, scrape_interval=30.0)
    assert [f.rule for f in run.rule_files(files, slow, promtool=False)] == ["window"]


def test_without_promtool_one_refusal(monkeypatch):
    monkeypatch.setenv("PROMTOOL_BIN", "/nonexistent/promtool")
    for lint in (lambda: run.dashboards([dash()], config.DEFAULT),
                 lambda: run.rule_files({}, config.DEFAULT)):
        with pytest.raises(PlanoGrafanaError, match=r"^promtool not found"):
            lint()


def test_promtool_runner_splits_errors_by_file(promtool_bin):
    bad = "groups:\n- name: a\n  rules:\n  - record: x:y\n    expr: sum(rate(up[5m]\n"
    good = "groups:\n- name: a\n  rules:\n  - record: x:y\n    expr: up\n"
    errors = promtool.check_rules(promtool_bin, {"good.yml": good, "bad.yml": bad, "yaml.yml": "groups: [\n"})
    assert sorted(errors) == ["bad.yml", "yaml.yml"]
    assert errors["bad.yml"][0].startswith('5:11: group "a", rule 1, "x:y": could not parse')


def test_the_config_given_is_the_config_linted(tmp_path, monkeypatch):
    """A dashboard may read a series the alerts record; its name carries the window the
    config's scrape interval sets (8m at 2m), so only that config's records make it known.
    (``lint`` built the rule modules from the default config whatever ``--config`` said.)"""
    record = "provider:brightstaff_llm_upstream_errors:ratio_rate8m"
    monkeypatch.chdir(tmp_path)  # no plano-grafana.toml but the one given
    (tmp_path / "slow.toml").write_text("scrape_interval = 120\n")
    file = tmp_path / "d.json"
    file.write_text(json.dumps(dash(panel("P", target(f"sum({record})")))))
    cli = CliRunner()
    slow = cli.invoke(main, ["lint", "--no-promql", "--config", str(tmp_path / "slow.toml"), str(file)])
    assert slow.exit_code == 0, slow.output + slow.stderr
    assert slow.output.strip() == "1 dashboards lint-clean (10 rules)"
    default = cli.invoke(main, ["lint", "--no-promql", str(file)])
    assert default.exit_code == 1
    assert f"d: panel 'P': known-metric: {record} is not in the metrics catalogue" in default.output
    assert names("dashboard", "dashboards")[0] and len(names("dashboard", "dashboards")) == 10
