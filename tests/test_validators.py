"""One set of value rules (plano_grafana.model.validate) for every command, variable and key.

Issue 20 item 7: each crash or accepted-nonsense case a new user met, run through the
command line. A bad flag is a click usage error (exit 2, one ``Error:`` line naming the
flag); a bad environment variable or file is one ``plano-grafana: error:`` line (exit 1);
never a traceback, never a request or a file written first.
"""

from __future__ import annotations

import socket
import textwrap
from pathlib import Path

import pytest

from plano_grafana.model import validate
from tests.conftest import REPO
from tests.support.cli import invoke, one_line_error, usage_error
from tests.support.grafana_double import GrafanaDouble


@pytest.fixture(scope="module")
def double():
    grafana = GrafanaDouble().start()
    yield grafana
    grafana.stop()


# --- `lint` on a JSON file that is not a dashboard -------------------------------------

@pytest.mark.parametrize("text, says", [
    ("[1,2]", "expected a JSON object, got list"),
    ('{"panels":"x"}', "'panels' must be a list of objects"),
    ('{"panels":[{"targets":"x"}]}', "'panels[0].targets' must be a list of objects"),
    ('{"templating":{"list":[1]}}', "'templating.list' must be a list of objects"),
    ('{"panels":[{"title":3,"gridPos":"x"}]}', "the linter can read"),
])
def test_lint_of_a_json_file_that_is_no_dashboard_is_one_line(tmp_path, text, says):
    path = tmp_path / "x.json"
    path.write_text(text)
    one_line_error(invoke("lint", "--no-promql", str(path)), str(path), says)


def test_lint_of_real_dashboard_files_still_passes():
    files = sorted(str(p) for p in (Path(REPO) / "dashboards").glob("*.json"))
    result = invoke("lint", "--no-promql", *files)
    assert result.exit_code == 0, result.output
    assert f"{len(files)} dashboards lint-clean" in result.stdout


def test_lint_of_a_file_with_a_byte_order_mark(tmp_path):
    source = sorted((Path(REPO) / "dashboards").glob("*.json"))[0]
    path = tmp_path / source.name
    path.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    assert invoke("lint", "--no-promql", str(path)).exit_code == 0


# --- `simulate` ports and rate ---------------------------------------------------------

@pytest.mark.parametrize("option", ["--envoy-port", "--brightstaff-port"])
def test_simulate_port_out_of_range_is_a_usage_error(option):
    usage_error(invoke("simulate", option, "70000", "--duration", "1"), option,
                "70000 is not a TCP port")


@pytest.mark.parametrize("rate", ["-1", "nan", "inf", "fast"])
def test_simulate_negative_rate_is_a_usage_error(rate):
    result = invoke("simulate", "--rate", rate, "--envoy-port", "0", "--brightstaff-port", "0",
                    "--duration", "1")
    usage_error(result, "--rate", "not a")


# --- `build --module` whose build() returns nothing -----------------------------------

def test_module_whose_build_returns_none_says_what_build_must_return(tmp_path, monkeypatch):
    (tmp_path / "nonebuild.py").write_text("def build():\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "out"
    result = invoke("build", "--no-defaults", "--module", "nonebuild", "--out", str(out))
    one_line_error(result, "nonebuild", "build() returned NoneType",
                   "not a grafanalib Dashboard")
    assert not out.exists()


# --- `prometheus-config` and `provisioning` scrape targets -----------------------------

@pytest.mark.parametrize("command", [("prometheus-config",), ("provisioning", "--out", "unused")])
@pytest.mark.parametrize("option", ["--envoy-target", "--brightstaff-target"])
@pytest.mark.parametrize("target, rule", [
    ("http://x:1/metrics", "host:port only (no scheme or path)"),
    ("not a target", "is not host:port"),
    ("prometheus:99999", "99999 is not a TCP port"),
    ("prometheus:ninety", "is not a number"),
])
def test_scrape_target_that_promtool_would_reject_is_a_usage_error(tmp_path, monkeypatch,
                                                                   command, option, target, rule):
    monkeypatch.chdir(tmp_path)
    usage_error(invoke(*command, option, target), option, rule)
    assert not (tmp_path / "unused").exists()


def test_good_scrape_targets_pass():
    result = invoke("prometheus-config", "--envoy-target", "plano.ns.svc:19901",
                    "--brightstaff-target", "[::1]:9092")
    assert result.exit_code == 0, result.stderr
    assert "plano.ns.svc:19901" in result.stdout and "[::1]:9092" in result.stdout


# --- `preview` flags checked before any request ---------------------------------------

def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args, option, rule", [
    (("--prometheus-url", "127.0.0.1:19090"), "--prometheus-url", "http:// or https:// URL"),
    (("--scrape-interval", "15"), "--scrape-interval", "not a Prometheus duration"),
    (("--range", "0s"), "--range", "above zero"),
    (("--range", "1.5h"), "--range", "not a Prometheus duration"),
])
def test_preview_values_refused_before_running(tmp_path, args, option, rule):
    base = ("--prometheus-url", f"http://127.0.0.1:{_closed_port()}")
    result = invoke("preview", *base, "--out", str(tmp_path / "p"), *args)
    usage_error(result, option, rule)
    assert not (tmp_path / "p").exists()


def test_preview_and_deploy_share_the_duration_rule(double):
    preview = invoke("preview", "--prometheus-url", "http://127.0.0.1:1", "--scrape-interval", "15")
    plan = invoke("plan", "--scrape-interval", "15", GRAFANA_URL=double.url,
                  GRAFANA_TOKEN="glsa_admin_token")
    usage_error(preview, "--scrape-interval", "not a Prometheus duration")
    usage_error(plan, "--scrape-interval", "not a Prometheus duration")


# --- `--folder` needs its title --------------------------------------------------------

@pytest.mark.parametrize("command", ["plan", "deploy"])
def test_folder_without_title_is_a_usage_error(double, command):
    double.reset_log()
    result = invoke(command, "--folder", "plano", GRAFANA_URL=double.url,
                    GRAFANA_TOKEN="glsa_admin_token")
    usage_error(result, "--folder", "expected UID:TITLE")
    assert double.log == []


# --- Grafana settings from the environment ---------------------------------------------

@pytest.mark.parametrize("name, value, words", [
    ("GRAFANA_VERIFY", "maybe", ("GRAFANA_VERIFY", "'maybe' is not a boolean")),
    ("GRAFANA_TIMEOUT", "soon", ("GRAFANA_TIMEOUT", "'soon'")),
    ("GRAFANA_TIMEOUT", "-3", ("GRAFANA_TIMEOUT", "above 0")),
    ("GRAFANA_ORG_ID", "one", ("GRAFANA_ORG_ID", "'one'")),
    ("GRAFANA_ORG_ID", "1.5", ("GRAFANA_ORG_ID", "whole number")),
    ("GRAFANA_RETRIES", "-1", ("GRAFANA_RETRIES", "0 or more", "'-1'")),
    ("GRAFANA_RETRIES", "many", ("GRAFANA_RETRIES", "'many'")),
])
def test_bad_grafana_setting_names_the_variable(double, name, value, words):
    double.reset_log()
    result = invoke("plan", **{"GRAFANA_URL": double.url, "GRAFANA_TOKEN": "glsa_admin_token",
                               name: value})
    one_line_error(result, *words)
    other = {"GRAFANA_TIMEOUT", "GRAFANA_ORG_ID", "GRAFANA_RETRIES"} - {name}
    assert not any(o in result.stderr for o in other), "names only the wrong variable"
    assert double.log == []


@pytest.mark.parametrize("value, verify", [("false", False), ("No", False), ("0", False),
                                           ("on", True), ("TRUE", True)])
def test_grafana_verify_words(value, verify):
    from plano_grafana.deploy.grafana_api import Settings

    assert Settings.from_env({"GRAFANA_URL": "https://g", "GRAFANA_VERIFY": value}).verify is verify


# --- the rules themselves --------------------------------------------------------------

@pytest.mark.parametrize("value, problem", [
    ("plano:Plano", None), ("team-x_1:Team X", None),
    ("plano", "without a title"), ("general:Root", "reserved"), ("SharedWithMe:x", "reserved"),
    ("a b:x", "IsValidShortUID"), ("a:b:c", "one ':'"), ("plano: ", "title is empty"),
])
def test_folder_rule(value, problem):
    found = validate.folder_problem(value)
    assert (found is None) if problem is None else (problem in found), found


@pytest.mark.parametrize("text, ok", [("http://p:9090", True), ("https://p/sub", True),
                                      ("p:9090", False), ("ftp://p", False),
                                      ("http://p:0", False), ("http://p:99999", False)])
def test_url_rule(text, ok):
    assert (validate.url_problem(text) is None) is ok


def test_url_rule_never_repeats_a_password():
    assert "hunter2" not in validate.url_problem("http://me:hunter2@:99999")


@pytest.mark.parametrize("body, key", [
    ('[folder]\nuid = "general"\n', "folder.uid"),
    ('[folder]\nuid = "sharedwithme"\n', "folder.uid"),
    ('[environments.x]\nurl_env = "U"\ntoken_env = "T"\nfolder = "general:G"\n',
     "environments.x.folder"),
    ('[environments.x]\nurl_env = "U"\ntoken_env = "T"\nfolder = "plano"\n',
     "environments.x.folder"),
])
def test_config_follows_the_folder_rule_of_the_flag(tmp_path, body, key):
    """Issue 15's "one uid rule": what --folder refuses, the config refuses too."""
    path = tmp_path / "c.toml"
    path.write_text(body)
    one_line_error(invoke("config", "--config", str(path)), str(path), key)


def test_config_scrape_interval_takes_a_duration_like_the_flags(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('scrape_interval = "30s"\n')
    shown = invoke("config", "--config", str(path))
    assert shown.exit_code == 0, shown.stderr
    assert "scrape_interval = 30.0" in shown.stdout
    path.write_text('scrape_interval = "15"\n')
    one_line_error(invoke("config", "--config", str(path)), str(path), "scrape_interval",
                   "not a Prometheus duration")


def test_config_prometheus_url_follows_the_url_rule(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(textwrap.dedent("""\
        [environments.x]
        url_env = "U"
        token_env = "T"
        prometheus_url = "http://prom:99999"
    """))
    one_line_error(invoke("config", "--config", str(path)), str(path),
                   "environments.x.prometheus_url", "not a valid URL")
