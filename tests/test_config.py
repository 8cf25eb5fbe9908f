"""plano-grafana.toml: every key changes exactly what it should; bad files fail in one line.

Each key is set alone in a config file in a temporary directory and the build compared
with the default build, so a key that leaks into more places (or into none) fails.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from plano_grafana import pipeline
from plano_grafana.build import rules_compiler
from plano_grafana.lint import run as lint
from plano_grafana.lint.walk import query_panels
from plano_grafana.model import catalogue, config
from tests.support import cli
from tests.support.cli import Ran
from tests.support.grafana_double import GrafanaDouble

UIDS = ("plano-llm-requests", "plano-input-tokens", "plano-output-tokens")


def build(text: str = "") -> dict[str, dict]:
    cfg = config.parse(tomllib.loads(text), "test.toml")
    return {d["uid"]: d for d in pipeline.build(cfg).values()}


def targets(dashboards: dict[str, dict]):
    for d in dashboards.values():
        for panel in query_panels(d):
            for target in panel["targets"]:
                yield d, panel, target


def variables(d: dict) -> dict[str, dict]:
    return {v["name"]: v for v in d["templating"]["list"]}


def run(*args: str, cwd: Path, env: dict | None = None) -> Ran:
    return cli.run(*args, cwd=cwd, env={**cli.without("GRAFANA_", "STAGING_"), **(env or {})})


@pytest.fixture(scope="module")
def default() -> dict[str, dict]:
    return build()


def test_an_empty_config_builds_the_committed_dashboards(default, compiled):
    assert default == {d["uid"]: d for d in compiled.values()}


def test_default_file_is_read_from_the_working_directory(tmp_path):
    (tmp_path / "plano-grafana.toml").write_text('tags = ["from-cwd"]\n')
    result = run("build", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "out" / "plano-llm-requests.json").read_text())
    assert "from-cwd" in data["tags"]


_AGGREGATION = re.compile(r"\b(sum|min|max|avg|count|group|stddev|stdvar)\s*"
                          r"(?:by\s*\(([^)]*)\))?\s*\(([\w:]*)")
_SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}")


def selectors(dashboards: dict[str, dict]):
    """(source, matchers) of every selector in every target and variable query."""
    for d in dashboards.values():
        texts = [t["expr"] for _, _, t in targets({d["uid"]: d})]
        texts += [v["query"] for v in d["templating"]["list"] if v["type"] == "query"]
        for text in texts:
            for name, inside in _SELECTOR.findall(text):
                yield catalogue.lookup(name).source, inside


def test_envoy_selectors_reach_every_envoy_series_and_no_other(default):
    built = build("[selectors]\nenvoy = 'namespace=\"plano\"'\n")
    envoy = {s for s in catalogue.Source if s.value.startswith("envoy")}
    seen = 0
    for source, inside in selectors(built):
        assert ('namespace="plano"' in inside) == (source in envoy), (source, inside)
        seen += source in envoy
    # the default build's brace-less variable queries (label_values(envoy_server_live, job))
    # get braces too, so there are at least as many
    assert seen >= sum(source in envoy for source, _ in selectors(default)) > 0


def test_brightstaff_selectors_reach_only_brightstaff_series(default):
    built = build("[selectors]\nbrightstaff = 'namespace=\"ai\", app=\"brightstaff\"'\n")
    seen = 0
    for source, inside in selectors(built):
        is_bs = source is catalogue.Source.BRIGHTSTAFF
        assert ('namespace="ai",app="brightstaff"' in inside) == is_bs, (source, inside)
        seen += is_bs
    assert seen >= sum(s is catalogue.Source.BRIGHTSTAFF for s, _ in selectors(default)) > 0


def test_fleet_label_adds_a_variable_a_matcher_and_keeps_it_in_every_aggregation():
    built = build('[fleet]\nlabel = "k8s_cluster"\n')
    for d in built.values():
        vs = variables(d)
        fleet = vs["k8s_cluster"]
        assert fleet["multi"] and fleet["includeAll"]
        assert list(vs)[1] == "k8s_cluster", "the fleet variable comes right after datasource"
        for name, var in vs.items():
            if var["type"] == "query" and name != "k8s_cluster":
                assert 'k8s_cluster=~"$k8s_cluster"' in var["query"], name
    for _, panel, t in targets(built):
        expr = t["expr"]
        if all(name.startswith("plano:") for name, _ in _SELECTOR.findall(expr)):
            continue  # reads only the price rules' constants, which no installation owns
        assert 'k8s_cluster=~"$k8s_cluster"' in expr, panel["title"]
        if t.get("format") == "heatmap":
            assert "by (le)" in expr  # bucket counts add up across installations
            continue
        for agg, by, operand in _AGGREGATION.findall(expr):
            if operand.startswith("plano:"):
                continue  # a price: one constant series for the whole fleet (rules)
            assert by and "k8s_cluster" in by.split(", "), (panel["title"], agg, expr)
        assert t["legendFormat"].startswith("{{k8s_cluster}}"), panel["title"]


def test_fleet_label_may_not_collide_with_a_label_the_dashboards_use(tmp_path):
    for label in ("cluster", "provider", "job", "le"):
        with pytest.raises(config.ConfigError, match=rf"fleet\.label: '{label}' collides"):
            config.parse({"fleet": {"label": label}}, "x.toml")
    with pytest.raises(config.ConfigError, match="Envoy's upstream cluster"):
        config.parse({"fleet": {"label": "cluster"}}, "x.toml")


def test_datasource_and_folder_go_to_the_json_only_where_it_needs_them(default, tmp_path):
    built = build('[datasource]\nuid = "prom-eu"\nname = "Prom EU"\n[folder]\nuid = "zz-team"\n'
                  'title = "Zz Team"\n')
    for uid, d in built.items():
        assert variables(d)["datasource"]["current"] == {"selected": True, "text": "Prom EU",
                                                         "value": "prom-eu"}
        ref = dict(d)
        ref["templating"] = default[uid]["templating"]
        assert ref == default[uid], "only the datasource variable's default changes"
        others = [v for v in d["templating"]["list"] if v["name"] != "datasource"]
        assert others == [v for v in default[uid]["templating"]["list"] if v["name"] != "datasource"]
        assert "zz-team" not in json.dumps(d).lower(), "the folder is deploy's business, not the JSON's"
    (tmp_path / "c.toml").write_text('[datasource]\nuid = "prom-eu"\nname = "Prom EU"\n'
                                     '[folder]\nuid = "zz-team"\ntitle = "Zz Team"\n')
    result = run("provisioning", "--config", "c.toml", "--out", "prov", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    ds = (tmp_path / "prov/grafana/datasources/plano.yaml").read_text()
    provider = (tmp_path / "prov/grafana/dashboards/plano.yaml").read_text()
    assert "uid: prom-eu" in ds and "name: Prom EU" in ds
    assert "folderUid: zz-team" in provider and "folder: Zz Team" in provider


def test_tags_are_added_to_every_dashboard(default):
    built = build('tags = ["team-ai", "prod"]\n')
    for uid, d in built.items():
        assert set(d["tags"]) == set(default[uid]["tags"]) | {"team-ai", "prod"}
        assert d["links"] == default[uid]["links"]


def _thresholds(d: dict, title: str) -> list:
    panel = next(p for p in query_panels(d) if p["title"] == title)
    return [s["value"] for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]


def test_slo_thresholds_reach_the_panels_in_their_units(default):
    built = build("[slo.ttft]\nwarn = 0.8\ncritical = 2.5\n[slo.decode_speed]\nwarn = 30\n"
                  "critical = 15\n")
    llm = built["plano-llm-requests"]
    assert _thresholds(llm, "TTFT p95") == [None, 800, 2500]  # ms panel
    assert _thresholds(llm, "TTFT p95 by provider and model") == [None, 0.8, 2.5]  # s panel
    assert _thresholds(built["plano-output-tokens"], "Decode speed p50") == [None, 15, 30]
    assert _thresholds(default["plano-llm-requests"], "TTFT p95") == [None, 1000, 3000]
    assert built["plano-input-tokens"] == default["plano-input-tokens"]


def test_slo_direction_and_objectives_are_validated():
    with pytest.raises(config.ConfigError, match=r"slo\.decode_speed\.critical: must be below"):
        config.parse({"slo": {"decode_speed": {"warn": 10, "critical": 20}}}, "x.toml")
    with pytest.raises(config.ConfigError, match=r"slo\.availability_objective: expected a number "
                                                 r"in \(0, 1\)"):
        config.parse({"slo": {"availability_objective": 1.5}}, "x.toml")


def test_recording_rules_and_prices_are_read_and_validated():
    cfg = config.parse({"recording_rules": True, "prices_file": "models.json",
                        "prices": {"openai/gpt-4o": {"input": 2.5, "output": 10}}}, "x.toml")
    assert cfg.recording_rules is True and cfg.prices_file == "models.json"
    # an omitted cache rate is the input price, not $0 (cached OpenAI tokens are not free)
    assert cfg.prices["openai/gpt-4o"] == config.Price(2.5, 10.0, 2.5, 2.5)
    partial = config.parse({"prices": {"a/b": {"input": 3, "output": 15, "cache_read": 0.3}}})
    assert partial.prices["a/b"] == config.Price(3.0, 15.0, 0.3, 3.0)
    with pytest.raises(config.ConfigError, match="recording_rules: expected true or false, "
                                                 "got a string"):
        config.parse({"recording_rules": "yes"}, "x.toml")
    with pytest.raises(config.ConfigError, match=r"\[prices\] key 'gpt-4o': expected"):
        config.parse({"prices": {"gpt-4o": {"input": 1, "output": 2}}}, "x.toml")


PREFIX = "gen_ai_otel_"


def _unprefixed(data) -> str:
    return json.dumps(data, sort_keys=True).replace(PREFIX + "brightstaff_", "brightstaff_")


def test_brightstaff_prefix_renames_every_brightstaff_series_and_nothing_else(default):
    cfg = config.parse({"metrics": {"brightstaff_prefix": PREFIX}}, "test.toml")
    built = {d["uid"]: d for d in pipeline.build(cfg).values()}
    rules = rules_compiler.build_all(cfg)
    # set alone, only names change: dashboards and rules equal the default without it
    assert {uid: _unprefixed(d) for uid, d in built.items()} == \
        {uid: json.dumps(d, sort_keys=True) for uid, d in default.items()}
    assert _unprefixed(rules) == json.dumps(rules_compiler.build_all(config.DEFAULT), sort_keys=True)
    # every query reads brightstaff under its prefixed name: selectors, variable queries,
    # recorded names (descriptions keep naming the family)
    exprs = [t["expr"] for _, _, t in targets(built)]
    exprs += [str(v.get("query", "")) for d in built.values() for v in variables(d).values()]
    exprs += [r["expr"] for data in rules.values() for g in data["groups"] for r in g["rules"]]
    bare = re.compile(r"(?<![\w:])brightstaff_\w+")
    assert [e for e in exprs if bare.search(e.replace(PREFIX + "brightstaff_", ""))] == []
    assert sum(PREFIX + "brightstaff_" in e for e in exprs) > 100
    assert any(e.startswith(f"label_values({PREFIX}brightstaff_build_info") for e in exprs)
    assert f"provider_model:{PREFIX}brightstaff_llm_tokens_total:rate1m" in json.dumps(rules)
    # lint's known-metric table carries it: the prefixed build lints clean, the default
    # config's table does not know the prefixed names
    assert lint.dashboards(built.values(), cfg, promql=False) == []
    assert lint.rule_files(rules, cfg, promtool=False) == []
    assert lint.rule_files(rules, config.DEFAULT, promtool=False)[0].rule == "known-metric"
    assert "[metrics]\nbrightstaff_prefix = \"gen_ai_otel_\"" in config.to_toml(cfg)


def test_config_command_prints_the_effective_config_which_reads_back(tmp_path):
    (tmp_path / "c.toml").write_text('recording_rules = true\n[fleet]\nlabel = "k8s_cluster"\n'
                                     '[environments.staging]\nurl_env = "STAGING_GRAFANA_URL"\n'
                                     'token_env = "STAGING_GRAFANA_TOKEN"\n'
                                     '[prices."openai/gpt-4o"]\ninput = 2.5\noutput = 10\n')
    result = run("config", "--config", "c.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[slo.ttft]\nwarn = 1.0\ncritical = 3.0" in result.stdout  # defaults included
    again = config.parse(tomllib.loads(result.stdout), "printed")
    assert again == config.load(tmp_path / "c.toml")


@pytest.mark.parametrize("text, message", [
    ("colour = 1\n", "c.toml: unknown key 'colour' (expected one of:"),
    ("[fleet]\nlabl = 'x'\n", "c.toml: [fleet] unknown key 'labl'"),
    ("[slo.ttft]\nwarn = 'fast'\n", "c.toml: slo.ttft.warn: expected a number, got a string"),
    ("[fleet]\nlabel = 'cluster'\n", "c.toml: fleet.label: 'cluster' collides"),
    ("tags = 'a'\n", "c.toml: tags: expected an array of non-empty strings"),
    ("[folder]\nuid = 'my team'\n", "c.toml: folder.uid: Grafana uids may contain only letters "
                                     "a-z A-Z, digits, '-' and '_' (IsValidShortUID), got 'my team'"),
    ("[environments.prod]\nurl_env = 'https://x'\ntoken_env = 'T'\n",
     "c.toml: environments.prod.url_env: 'https://x' is not an environment variable name"),
    ("[selectors]\nenvoy = 'namespace=plano'\n", "c.toml: selectors.envoy: 'namespace=plano' is "
                                                 "not a list of PromQL label matchers"),
    ("fleet = [\n", "c.toml: not valid TOML"),
    ("[metrics]\nbrightstaff_prefix = 'otel-'\n",
     "c.toml: metrics.brightstaff_prefix: 'otel-' cannot start a Prometheus metric name"),
])
def test_a_bad_config_is_one_line_and_writes_nothing(tmp_path, text, message):
    (tmp_path / "c.toml").write_text(text)
    out = tmp_path / "out"
    result = run("build", "--config", "c.toml", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 1
    assert message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not out.exists()


def test_a_missing_config_file_is_one_line(tmp_path):
    result = run("build", "--config", "nope.toml", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.strip() == (
        "plano-grafana: error: nope.toml: no such config file")


ENVS = ('[environments.staging]\nurl_env = "STAGING_GRAFANA_URL"\n'
        'token_env = "STAGING_GRAFANA_TOKEN"\nfolder = "plano-staging:Plano (staging)"\n'
        'prometheus_url = "http://prom.staging:9090"\ndatasource = "prom-staging"\n')


@pytest.fixture
def double():
    d = GrafanaDouble().start()
    d.tokens["staging-token"] = ("Editor", 1)
    yield d
    d.stop()


def test_env_reads_only_the_variables_it_names_and_deploys_there(tmp_path, double):
    (tmp_path / "c.toml").write_text(ENVS)
    env = {"STAGING_GRAFANA_URL": double.url, "STAGING_GRAFANA_TOKEN": "staging-token",
           # the default variables point elsewhere: --env must not read them
           "GRAFANA_URL": "http://127.0.0.1:9", "GRAFANA_TOKEN": "wrong"}
    result = run("deploy", "--config", "c.toml", "--env", "staging", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert set(double.folders) == {"plano-staging"}
    assert double.folders["plano-staging"]["title"] == "Plano (staging)"
    assert set(double.datasources) == {"prom-staging"}
    assert double.datasources["prom-staging"]["url"] == "http://prom.staging:9090"
    for stored in double.dashboards.values():
        ds = next(v for v in stored["data"]["templating"]["list"] if v["name"] == "datasource")
        assert ds["current"]["value"] == "prom-staging"
    assert "staging-token" not in result.stdout + result.stderr


def test_the_environment_is_resolved_once_and_carried(tmp_path, double, monkeypatch):
    """Issue 15 item 4: target, datasource uid and connection settings come from one lookup."""
    (tmp_path / "c.toml").write_text(ENVS)
    cfg = config.load(tmp_path / "c.toml")
    monkeypatch.setenv("STAGING_GRAFANA_URL", double.url)
    monkeypatch.setenv("STAGING_GRAFANA_TOKEN", "staging-token")
    lookups = []
    original = type(cfg).environment
    monkeypatch.setattr(type(cfg), "environment",
                        lambda self, name: lookups.append(name) or original(self, name))
    dest = pipeline.target(cfg, folder=None, prometheus_url=None, scrape_interval=None,
                           environment="staging")
    _, desired, plan = pipeline.plan(cfg, dest, workers=1, api="classic")
    assert lookups == ["staging"]
    assert desired.datasource()["uid"] == "prom-staging" and desired.folder_uid == "plano-staging"
    assert {c.name for c in plan.changes if c.kind == "folder"} == {"plano-staging"}


def test_env_with_a_missing_variable_names_it(tmp_path, double):
    (tmp_path / "c.toml").write_text(ENVS)
    result = run("plan", "--config", "c.toml", "--env", "staging", cwd=tmp_path,
                 env={"STAGING_GRAFANA_URL": double.url, "GRAFANA_TOKEN": "x"})
    assert result.returncode == 1
    assert result.stderr.strip() == ("plano-grafana: error: environment variable "
                                     "STAGING_GRAFANA_TOKEN is not set (named by the selected "
                                     "environment)")
    assert double.log == []


def test_unknown_env_is_one_line_naming_the_known_ones(tmp_path, double):
    (tmp_path / "c.toml").write_text(ENVS)
    result = run("deploy", "--config", "c.toml", "--env", "prod", cwd=tmp_path,
                 env={"GRAFANA_URL": double.url, "GRAFANA_TOKEN": "x"})
    assert result.returncode == 1
    assert result.stderr.strip() == ("plano-grafana: error: c.toml: unknown environment 'prod' "
                                     "([environments.*]: staging)")
    assert double.log == []


def test_runbook_url_is_where_every_alert_links():
    cfg = config.parse({"runbook_url": "https://wiki.example.com/plano/runbooks"}, "x.toml")
    alerts = [rule for groups in pipeline.rules(cfg).values() for group in groups["groups"]
              for rule in group["rules"] if "alert" in rule]
    assert alerts
    for rule in alerts:
        assert rule["annotations"]["runbook_url"] == (
            f"https://wiki.example.com/plano/runbooks#{rule['alert'].lower()}")
    with pytest.raises(config.ConfigError, match=r"runbook_url: .*without an anchor"):
        config.parse({"runbook_url": "https://wiki.example.com/x#y"}, "x.toml")


def test_scrape_interval_sets_the_datasource_interval_unless_the_command_line_does(
        tmp_path, double):
    (tmp_path / "c.toml").write_text("scrape_interval = 30\n")
    env = {"GRAFANA_URL": double.url, "GRAFANA_TOKEN": "staging-token"}
    result = run("deploy", "--config", "c.toml", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert double.datasources["plano-prometheus"]["jsonData"]["timeInterval"] == "30s"
    result = run("deploy", "--config", "c.toml", "--scrape-interval", "1m", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert double.datasources["plano-prometheus"]["jsonData"]["timeInterval"] == "1m"
