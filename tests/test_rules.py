"""Rule files: compiled from the modules, deterministic, linted, unit-tested with promtool,
and documented (every alert has a runbook section that links to real panels)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import attr
import pytest

from plano_grafana import pipeline
from plano_grafana.build import rules, rules_compiler
from plano_grafana.lint import run as lint
from plano_grafana.model import config
from plano_grafana.model.config import ConfigError
from tests.conftest import REPO
from tests.support import yamlload
from tests.support.cli import run

RULES_DIR = Path(REPO) / "rules"
TESTS_DIR = Path(REPO) / "tests" / "rules"
RUNBOOKS = Path(REPO) / "docs" / "runbooks.md"


@pytest.fixture(scope="module")
def files() -> dict[str, dict]:
    return rules_compiler.build_all(config.DEFAULT)


def _alert_names(files) -> set[str]:
    return {r["alert"] for data in files.values() for g in data["groups"] for r in g["rules"]
            if "alert" in r}


def _exprs(files) -> list[str]:
    return [r["expr"] for data in files.values() for g in data["groups"] for r in g["rules"]]


# --- compile ---------------------------------------------------------------------------

def test_one_file_per_rule_module(files):
    assert set(files) == {m.rsplit(".", 1)[-1] + ".yaml" for m in rules.MODULES}


def test_build_is_deterministic(files):
    again = rules_compiler.build_all(config.DEFAULT)
    assert {n: rules_compiler.render(n, d) for n, d in files.items()} == \
        {n: rules_compiler.render(n, d) for n, d in again.items()}


def test_committed_rules_are_up_to_date(files):
    assert rules_compiler.drift(RULES_DIR, files) == [], "run 'make rules' and commit rules/"


def test_lint_clean_including_promtool(files, promtool):
    assert lint.rule_files(files, config.DEFAULT) == []


def test_operator_and_mimir_formats_wrap_the_same_groups(files):
    data = files["alerts.yaml"]
    operator = yamlload.load(rules_compiler.render("alerts.yaml", data, "operator"))
    assert operator["apiVersion"] == "monitoring.coreos.com/v1"
    assert operator["kind"] == "PrometheusRule"
    assert operator["metadata"]["name"] == "plano-alerts"
    assert operator["spec"] == data
    mimir = yamlload.load(rules_compiler.render("alerts.yaml", data, "mimir"))
    assert mimir == {"namespace": "plano-alerts", **data}


def test_a_broken_rule_module_is_one_error_naming_it(tmp_path, monkeypatch):
    (tmp_path / "bad_rules.py").write_text("def groups(cfg):\n    return [{'name': 'x'}]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(rules_compiler.RuleBuildError, match="rule module bad_rules: each group"):
        rules_compiler.build_all(config.DEFAULT, ["bad_rules"])


def test_an_extra_module_is_compiled_and_linted(tmp_path, monkeypatch, promtool):
    """Any module in MODULES (the spend work adds two) goes through the same steps."""
    (tmp_path / "extra_rules.py").write_text(
        "def groups(cfg):\n"
        "    return [{'name': 'extra', 'rules': [{'alert': 'NoRunbook', 'expr': 'up == 0',\n"
        "             'labels': {'severity': 'warning'}, 'annotations': {'summary': 's'}}]}]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(Exception, match=re.escape("extra_rules.yaml: group 'extra': alert "
                                                  "NoRunbook: alert-metadata: no description")):
        pipeline.rules(config.DEFAULT, ["extra_rules"])


# --- config ----------------------------------------------------------------------------

def test_windows_derive_from_the_scrape_interval():
    cfg = attr.evolve(config.DEFAULT, scrape_interval=120.0)
    built = rules_compiler.build_all(cfg)
    records = {r["record"] for g in built["recording.yaml"]["groups"] for r in g["rules"]}
    assert "job:request_latency_count:rate8m" in records  # 4 × 120 s
    alert_records = {r.get("record") for g in built["alerts.yaml"]["groups"] for r in g["rules"]}
    # the 5m burn-rate window would hold 2.5 scrapes: it becomes 8m, the others stay
    assert "provider:brightstaff_llm_upstream_errors:ratio_rate8m" in alert_records
    assert "provider:brightstaff_llm_upstream_errors:ratio_rate5m" not in alert_records
    assert "provider:brightstaff_llm_upstream_errors:ratio_rate30m" in alert_records
    assert lint.rule_files(built, cfg, promtool=False) == []


def test_scaled_windows_for_fast_tests():
    cfg = attr.evolve(config.DEFAULT, scrape_interval=1.0, window_scale=1 / 300)
    built = rules_compiler.build_all(cfg)
    page = next(r for g in built["alerts.yaml"]["groups"] for r in g["rules"]
                if r.get("alert") == "PlanoProviderErrorBudgetBurn"
                and r["labels"]["severity"] == "critical")
    # 1h -> 12s, 5m -> 1s raised to four scrapes (4s), 6h -> 1m12s, 30m -> 6s
    assert "ratio_rate4s > 0.072 and provider:brightstaff_llm_upstream_errors:ratio_rate12s" in page["expr"]
    assert "ratio_rate6s > 0.03 and provider:brightstaff_llm_upstream_errors:ratio_rate1m12s" in page["expr"]


def test_fleet_label_is_kept_by_every_aggregation():
    cfg = attr.evolve(config.DEFAULT, fleet=config.Fleet("k8s_cluster"))
    built = rules_compiler.build_all(cfg)
    exprs = _exprs(built)
    by_lists = [m for e in exprs for m in re.findall(r"\b(?:by|on) \(([^)]*)\)", e)]
    assert by_lists and all("k8s_cluster" in b for b in by_lists), by_lists
    assert "min without (provider)" in "\n".join(exprs)  # keeps the fleet label too
    assert lint.rule_files(built, cfg, promtool=False) == []


@pytest.mark.parametrize("slo, key", [
    ({"ttft_threshold_seconds": 2.4}, "slo.ttft_threshold_seconds"),
    ({"ttft_threshold_seconds": 3.0}, "slo.ttft_threshold_seconds"),
    ({"ttft_threshold_seconds": 0.3}, "slo.ttft_threshold_seconds"),
    ({"providers": {"anthropic": {"ttft_threshold_seconds": 2.4}}},
     "slo.providers.anthropic.ttft_threshold_seconds"),
    ({"models": {"openai/gpt-4o": {"ttft_threshold_seconds": 2.4}}},
     'slo.models."openai/gpt-4o".ttft_threshold_seconds'),
])
def test_ttft_threshold_must_be_a_bucket_boundary(slo, key):
    """Overrides are checked like [slo] itself, with the same one-line error naming the key."""
    cfg = config.parse({"slo": slo}, "plano-grafana.toml")
    value = next(iter(v for v in _leaves(slo)))
    with pytest.raises(ConfigError) as err:
        rules_compiler.build_all(cfg)
    assert str(err.value).startswith(f"plano-grafana.toml: {key}: {value:g} "
                                     "is not a bucket boundary of brightstaff_llm_time_to_first")
    assert "\n" not in str(err.value)


def _leaves(table: dict):
    for value in table.values():
        yield from (_leaves(value) if isinstance(value, dict) else [value])


@pytest.mark.parametrize("slo, message", [
    ({"min_events": 0}, "slo.min_events: expected a whole number >= 1, got 0"),
    ({"min_events": 2.5}, "slo.min_events: expected a whole number >= 1, got 2.5"),
    ({"providers": {"openai": {"min_events": -1}}},
     "slo.providers.openai.min_events: expected a whole number >= 1, got -1"),
    ({"providers": {"openai": {"availability": 0.9}}},
     "[slo.providers.openai] unknown key 'availability'"),
    ({"models": {"gpt-4o": {}}}, 'slo.models."gpt-4o": expected a key "provider/model"'),
    ({"models": {"openai/gpt-4o": {"ttft_objective": 1.5}}},
     'slo.models."openai/gpt-4o".ttft_objective: expected a number in (0, 1), got 1.5'),
])
def test_bad_slo_keys_are_one_line(slo, message):
    with pytest.raises(ConfigError) as err:
        config.parse({"slo": slo}, "c.toml")
    assert str(err.value).startswith("c.toml: " + message), str(err.value)
    assert "\n" not in str(err.value)


def test_min_events_guards_every_burn_rate_alert(files):
    """Each pair of every burn-rate alert also requires min_events in its long window."""
    cfg = config.parse({"slo": {"min_events": 37}}, "c.toml")
    built = rules_compiler.build_all(cfg)
    burns = [r for g in built["alerts.yaml"]["groups"] for r in g["rules"]
             if r.get("alert", "").endswith("BudgetBurn")]
    assert len(burns) == 6
    for rule in burns:
        pairs = rule["expr"].split("\nor\n")
        guarded = [re.search(r":increase\w+(\{[^}]*\})? >= 37\)$", p) for p in pairs]
        assert len(pairs) == 2 and all(guarded), rule


def test_long_windows_sum_the_recorded_short_increases(files):
    """1d and 3d read no raw counter: they sum the recorded 5m increases, stepping by 5m."""
    rules_by_name = {r["record"]: r["expr"] for g in files["alerts.yaml"]["groups"]
                     for r in g["rules"] if "record" in r}
    for name, expr in rules_by_name.items():
        if name.endswith(("increase1d", "increase3d")):
            window = name.rsplit("increase", 1)[1]
            assert expr == f"sum_over_time({name.rsplit(':', 1)[0]}:increase5m[{window}:5m])"
    assert sum(n.endswith(("increase1d", "increase3d")) for n in rules_by_name) == 12


@pytest.mark.parametrize("scrape, base, read, scale", [
    (15, "5m", "5m14s999ms", "300 / 314.999"), (60, "5m", "5m59s999ms", "300 / 359.999"),
    (300, "20m", "24m59s999ms", "1200 / 1499.999")])
def test_the_summed_increases_are_tiles_one_scrape_longer(scrape, base, read, scale):
    """Each base increase reads one scrape interval more (less 1 ms) and scales back, so its
    samples span the base window exactly and consecutive tiles share a sample (sli.py)."""
    cfg = config.parse({"scrape_interval": f"{scrape}s"})
    records = {r["record"]: r["expr"] for g in rules_compiler.build_all(cfg)["alerts.yaml"]["groups"]
               for r in g["rules"] if "record" in r}
    tiles = {n: e for n, e in records.items() if n.endswith(f":increase{base}")}
    assert len(tiles) == 6
    for expr in tiles.values():
        assert f"[{read}])) * {scale}" in expr and f"[{base}]" not in expr


def test_cli_rejects_the_threshold_in_one_line_and_writes_nothing(tmp_path):
    (tmp_path / "plano-grafana.toml").write_text("[slo]\nttft_threshold_seconds = 2.4\n")
    out = tmp_path / "rules"
    result = run("rules", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "plano-grafana: error: plano-grafana.toml: slo.ttft_threshold_seconds: 2.4 is not a "
        "bucket boundary of brightstaff_llm_time_to_first_token_seconds (one of 0.05, 0.1, 0.25, "
        "0.5, 1, 2.5, 5, 10, 30, 60, 120)"]
    assert not out.exists()


def test_cli_writes_each_format(tmp_path):
    for fmt in rules_compiler.FORMATS:
        result = run("rules", "--out", str(tmp_path / fmt), "--format", fmt)
        assert result.returncode == 0, result.stderr
        assert sorted(p.name for p in (tmp_path / fmt).iterdir()) == \
            sorted(m.rsplit(".", 1)[-1] + ".yaml" for m in rules.MODULES)
    kinds = {yamlload.load((tmp_path / "operator" / "alerts.yaml").read_text())["kind"]}
    assert kinds == {"PrometheusRule"}


def test_check_reports_an_edited_rule_file(tmp_path):
    shutil.copytree(RULES_DIR, tmp_path / "rules")
    path = tmp_path / "rules" / "alerts.yaml"
    path.write_text(path.read_text().replace("> 0.072", "> 0.5"))
    result = run("check", "--rules-out", str(tmp_path / "rules"))
    assert result.returncode == 1
    assert "alerts.yaml (on disk)" in result.stdout and "-" in result.stdout
    assert "differ from a fresh build" in result.stderr


def test_recording_mode_reads_only_series_the_rules_record(files):
    """Dashboards in recording-rule mode and the rule files share one naming function: every
    recorded series a panel reads is one that recording.yaml records, and no raw rate()
    over $__rate_interval is left."""
    recorded = {r["record"] for g in files["recording.yaml"]["groups"] for r in g["rules"]}
    built = pipeline.build_checked(attr.evolve(config.DEFAULT, recording_rules=True))
    exprs = [t["expr"] for d in built.values() for p in d["panels"] for t in p.get("targets", [])]
    read = {n for e in exprs for n in re.findall(r"\b(\w+:\w+:rate\w+)\{", e)}
    assert read and read <= recorded, read - recorded
    assert not [e for e in exprs if "[$__rate_interval]" in e]
    heatmaps = [e for e in exprs if "$__rate_interval_ms" in e]
    assert heatmaps and all(e.endswith("* $__rate_interval_ms / 1000") for e in heatmaps)


def test_recording_mode_keeps_the_fleet_label_and_drops_instance():
    cfg = attr.evolve(config.DEFAULT, recording_rules=True, fleet=config.Fleet("k8s_cluster"))
    built = pipeline.build(cfg)
    panel = next(p for p in built["plano-llm-requests.json"]["panels"]
                 if p["title"] == "TTFT p95 by provider and model")
    expr = panel["targets"][0]["expr"]
    assert expr.startswith("histogram_quantile(0.95, sum by (le, provider, model, k8s_cluster) "
                           "(provider_model:brightstaff_llm_time_to_first_token_seconds_bucket:rate1m{")
    assert 'k8s_cluster=~"$k8s_cluster"' in expr and "instance" not in expr


# --- promtool unit tests -----------------------------------------------------------------

TEST_FILES = sorted(TESTS_DIR.glob("*.test.yaml"))
#: promtool tests of rules compiled from another config: ``variants/<name>.toml`` and
#: ``variants/<name>.test.yaml``, whose ``rule_files`` name the compiled files.
VARIANTS = sorted(p.with_suffix("").with_suffix("") for p in (TESTS_DIR / "variants").glob("*.test.yaml"))


def test_one_unit_test_file_per_group(files):
    """Every group of every rule file (prices and router included) has its promtool test
    file, and that file loads the rule file the group is in."""
    groups = {g["name"]: name for name, data in files.items() for g in data["groups"]}
    assert {p.name.removesuffix(".test.yaml") for p in TEST_FILES} == set(groups)
    for path in TEST_FILES:
        test = yamlload.load(path.read_text())
        assert test["rule_files"] == [f"../../rules/{groups[path.name.removesuffix('.test.yaml')]}"]
        assert test["tests"], path.name


def _promtool_test(promtool: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, "test", "rules", path.name], cwd=path.parent,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_promtool_unit_tests(path, promtool):
    proc = _promtool_test(promtool, path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda p: p.name)
def test_promtool_unit_tests_of_config_variants(variant, promtool, tmp_path):
    """Overrides (each request in exactly one objective) and the fleet label
    (PlanoMetricsAbsent per installation), on rules compiled from the variant's config."""
    cfg = config.load(variant.with_suffix(".toml"))
    rules_compiler.write(tmp_path, rules_compiler.build_all(cfg))
    test = variant.with_name(variant.name + ".test.yaml")
    shutil.copy(test, tmp_path / test.name)
    proc = _promtool_test(promtool, tmp_path / test.name)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_alert_is_exercised_by_a_unit_test(files):
    tested = set()
    for path in TEST_FILES:
        for case in yamlload.load(path.read_text())["tests"]:
            tested |= {t["alertname"] for t in case.get("alert_rule_test", []) if t.get("exp_alerts")}
    assert _alert_names(files) <= tested, _alert_names(files) - tested


def test_unit_tests_fail_when_the_objective_changes(tmp_path, promtool):
    """The thresholds in the unit tests are the config's: a stricter objective breaks them."""
    strict = config.parse({"slo": {"availability_objective": 0.999}}, "strict.toml")
    rules_compiler.write(tmp_path / "rules", rules_compiler.build_all(strict))
    (tmp_path / "tests" / "rules").mkdir(parents=True)  # same layout: ../../rules/alerts.yaml
    test = TESTS_DIR / "plano-slo-availability.test.yaml"
    shutil.copy(test, tmp_path / "tests" / "rules" / test.name)
    proc = subprocess.run([promtool, "test", "rules", test.name], cwd=tmp_path / "tests" / "rules",
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "PlanoProviderErrorBudgetBurn" in proc.stdout + proc.stderr


# --- runbooks -------------------------------------------------------------------------------

def _sections() -> dict[str, str]:
    text = RUNBOOKS.read_text(encoding="utf-8")
    parts = re.split(r"^## (\S+)\s*$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_alert_has_a_runbook_section(files):
    assert set(_sections()) == _alert_names(files)


def test_runbook_sections_link_to_real_panels(files, compiled):
    panels = {(d["uid"], p["id"]): p["title"] for d in compiled.values() for p in d["panels"]}
    for name, body in _sections().items():
        links = re.findall(r"\[([^\]]+)\]\(/d/([\w-]+)\?viewPanel=(\d+)\)", body)
        assert links, f"{name}: no panel link"
        for title, uid, pid in links:
            assert (uid, int(pid)) in panels, f"{name}: /d/{uid}?viewPanel={pid} is no panel"
            assert panels[(uid, int(pid))] == title, \
                f"{name}: panel {uid}/{pid} is {panels[(uid, int(pid))]!r}, link says {title!r}"
        for heading in ("**Meaning**", "**Confirm**", "**Act**"):
            assert heading in body, f"{name}: no {heading}"


def test_rules_build_leaves_other_rule_files_alone(tmp_path):
    """Like dashboards/, rules/ may hold files of the operator's own: only generated ones
    that no module produces any more are removed, and only they count as drift."""
    from plano_grafana.build import rules_compiler
    from plano_grafana.model import config

    files = rules_compiler.build_all(config.DEFAULT)
    own = tmp_path / "team-rules.yaml"
    own.write_text("groups: []\n")
    retired = tmp_path / "retired.yaml"
    retired.write_text(f"{rules_compiler.GENERATED} from plano_grafana/build/rules/retired.py\n"
                       "groups: []\n")
    changed = rules_compiler.write(tmp_path, files)
    assert own.read_text() == "groups: []\n"
    assert not retired.exists() and "retired.yaml" in changed
    assert rules_compiler.drift(tmp_path, files) == []
    assert rules_compiler.write(tmp_path, files) == []  # nothing rewritten when unchanged
