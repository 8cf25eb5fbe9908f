"""One test per lint rule: the shipped dashboards pass, and a defect of each kind is caught."""

from __future__ import annotations

import pytest

from plano_grafana.lint import dashboard_lint as lint
from plano_grafana.model.config import DEFAULT

CTX = lint.Context.of(DEFAULT)


def first(d: dict, kind: str) -> dict:
    return next(p for p in lint.query_panels(d) if p["type"] == kind)


def by_title(d: dict, title: str) -> dict:
    return next(p for p in lint.panels(d) if p.get("title") == title)


def rules(findings) -> set[str]:
    return {f.rule for f in findings}


def test_shipped_dashboards_are_clean(dashboards, promtool):
    assert lint.lint(dashboards) == []


def test_every_rule_is_documented():
    assert all(func.__doc__ for func in lint.RULES.values())


def test_duplicate_uid(dashboards):
    dashboards[1]["uid"] = dashboards[0]["uid"]
    found = lint.lint(dashboards, promql=False)
    assert rules(found) == {"unique-uid"}
    assert dashboards[0]["uid"] in str(found[0])


def test_duplicate_panel_id(dashboards):
    d = dashboards[0]
    d["panels"][3]["id"] = d["panels"][2]["id"]
    found = list(lint.unique_panel_ids(d, CTX))
    assert len(found) == 1 and found[0].panel == d["panels"][3]["title"]


def test_grid_overflow_and_overlap(dashboards):
    d = dashboards[0]
    d["panels"][1]["gridPos"]["w"] = 30
    found = list(lint.grid(d, CTX))
    assert any("crosses column 24" in f.message for f in found)
    assert any("overlaps" in f.message for f in found)


def test_missing_datasource(dashboards):
    d = dashboards[0]
    panel = first(d, "timeseries")
    panel["targets"][0]["datasource"] = {"type": "prometheus", "uid": "DS_PROMETHEUS"}
    found = list(lint.datasource(d, CTX))
    assert [f.panel for f in found] == [panel["title"]]


def test_missing_unit(dashboards):
    d = dashboards[2]
    panel = first(d, "heatmap")
    del panel["fieldConfig"]["defaults"]["unit"]
    assert [f.panel for f in lint.unit(d, CTX)] == [panel["title"]]


def test_missing_description(dashboards):
    d = dashboards[1]
    panel = first(d, "stat")
    panel["description"] = " "
    assert [f.panel for f in lint.description(d, CTX)] == [panel["title"]]


def test_fixed_rate_window(dashboards):
    d = dashboards[0]
    panel = first(d, "timeseries")
    panel["targets"][0]["expr"] = panel["targets"][0]["expr"].replace("$__rate_interval", "5m")
    found = list(lint.rate_interval(d, CTX))
    assert len(found) >= 1 and "[5m]" in found[0].message


@pytest.mark.parametrize("field", ["title", "legend"])
def test_quantile_named_must_match_query(dashboards, field):
    d = dashboards[0]
    if field == "title":
        panel = by_title(d, "TTFT p95")
        panel["title"] = "TTFT p90"  # Plano's shipped defect: the name says one quantile
    else:
        panel = next(p for p in lint.query_panels(d) if p["title"].startswith("Time to first token"))
        panel["targets"][0]["expr"] = panel["targets"][0]["expr"].replace(
            "histogram_quantile(0.5,", "histogram_quantile(0.9,")
    found = list(lint.quantile_name(d, CTX))
    assert found and found[0].panel == panel["title"] and found[0].rule == "quantile-name"


def test_unknown_metric(dashboards):
    d = dashboards[0]
    panel = by_title(d, "Rate-limited requests/s")
    panel["targets"][0]["expr"] = 'sum(rate(envoy_wasmcustom_ratelimited_rq{job=~"$job"}[$__rate_interval]))'
    found = list(lint.known_metric(d, CTX))
    assert [(f.panel, f.rule) for f in found] == [(panel["title"], "known-metric")]
    assert "envoy_wasmcustom_ratelimited_rq" in found[0].message


def test_promql_parse_error_names_the_panel(dashboards, promtool):
    d = dashboards[2]
    panel = by_title(d, "TPOT p95")
    panel["targets"][0]["expr"] = "histogram_quantile(0.95, sum by (le) rate(x[$__rate_interval]))"
    found = lint.promql_findings(dashboards, promtool)
    assert len(found) == 1
    assert str(found[0]).startswith("plano-output-tokens: panel 'TPOT p95': promql: ")
    assert "parse error" in found[0].message


def test_unknown_variable_is_a_promql_finding(dashboards, promtool):
    d = dashboards[0]
    panel = first(d, "stat")
    panel["targets"][0]["expr"] += ' + on() vector($nosuchvar)'
    found = lint.promql_findings([d], promtool)
    assert len(found) == 1 and "$nosuchvar" in found[0].message


def test_unknown_metric_without_braces(dashboards):
    """``sum(rate(x[…]))`` has no ``{`` after the name: the regex of old let it through."""
    d = dashboards[0]
    panel = by_title(d, "Rate-limited requests/s")
    panel["targets"][0]["expr"] = "sum(rate(envoy_wasmcustom_x[$__rate_interval]))"
    found = list(lint.known_metric(d, CTX))
    assert [(f.panel, f.rule) for f in found] == [(panel["title"], "known-metric")]
    assert "envoy_wasmcustom_x" in found[0].message


def test_unknown_metric_in_name_matcher_and_variable(dashboards):
    d = dashboards[0]
    panel = by_title(d, "Rate-limited requests/s")
    panel["targets"][0]["expr"] = 'sum(rate({__name__="ratelimited_rq_total"}[$__rate_interval]))'
    var = next(v for v in d["templating"]["list"] if v["name"] == "job")
    var["query"] = "label_values(envoy_server_alive, job)"
    found = sorted(str(f) for f in lint.known_metric(d, CTX))
    assert len(found) == 2
    assert "variable $job: envoy_server_alive is not" in found[0]
    assert "ratelimited_rq_total is not in the metrics catalogue" in found[1]


def test_recorded_series_are_known(dashboards, monkeypatch, tmp_path):
    """A series a rule module records is as known as a catalogue one."""
    module = tmp_path / "fake_rules_for_lint.py"
    module.write_text("def groups(cfg):\n    return [{'name': 'g', 'rules': [\n"
                      "        {'record': 'plano:lint_test_series', 'expr': 'vector(1)'}]}]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from plano_grafana.build import rules
    d = dashboards[0]
    panel = by_title(d, "Rate-limited requests/s")
    panel["targets"][0]["expr"] = "sum(plano:lint_test_series)"
    assert [f.rule for f in lint.known_metric(d, CTX)] == ["known-metric"]
    monkeypatch.setattr(rules, "MODULES", ("fake_rules_for_lint",))
    assert list(lint.known_metric(d, lint.Context.of(DEFAULT))) == []


@pytest.mark.parametrize("expr, window", [
    ("max_over_time(sum(rate(ratelimited_rq[$__rate_interval]))[1h:])", "1h:"),
    ("max_over_time(sum(rate(ratelimited_rq[$__rate_interval]))[$__range:1m])", "$__range:1m"),
    ("sum(rate(ratelimited_rq[$__interval]))", "$__interval"),
    ("sum(increase(ratelimited_rq[ 5m ]))", "5m"),
])
def test_fixed_window_in_subquery_or_spaced(dashboards, expr, window):
    d = dashboards[0]
    panel = by_title(d, "Rate-limited requests/s")
    panel["targets"][0]["expr"] = expr
    found = list(lint.rate_interval(d, CTX))
    assert [f.message.split("]")[0] for f in found] == [f"window [{window}"]


def test_quantile_read_from_the_tree(dashboards):
    """A quantile written with spaces or parentheses is still the one the title must name."""
    d = dashboards[0]
    panel = by_title(d, "TTFT p95")
    expr = panel["targets"][0]["expr"]
    panel["targets"][0]["expr"] = expr.replace("histogram_quantile(0.95,", "histogram_quantile( (0.95) ,")
    assert list(lint.quantile_name(d, CTX)) == []
    panel["targets"][0]["expr"] = expr.replace("histogram_quantile(0.95,", "histogram_quantile( 0.9 ,")
    found = list(lint.quantile_name(d, CTX))
    assert len(found) == 1 and "title names [0.95] but the queries compute [0.9]" in found[0].message
