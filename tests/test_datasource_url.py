"""The datasource URL changes only when somebody gives one (issue 20 item 5).

A flag, ``PROMETHEUS_URL`` or the config sets it; a plain ``deploy`` keeps whatever URL
Grafana's datasource has, and only a datasource it creates gets the default. Against the
Grafana double, through the command line.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from plano_grafana.cli import main
from plano_grafana.model import config
from tests.support.grafana_double import GrafanaDouble

UID = config.DEFAULT.datasource.uid


@pytest.fixture
def double(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no plano-grafana.toml but the ones a test writes
    grafana = GrafanaDouble().start()
    yield grafana
    grafana.stop()


def deploy(double: GrafanaDouble, *args: str, command: str = "deploy", **env: str):
    environ = {"GRAFANA_URL": double.url, "GRAFANA_TOKEN": "glsa_admin_token",
               "PROMETHEUS_URL": None, **env}
    result = CliRunner().invoke(main, [command, "--format", "json", *args], env=environ)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def datasource_status(result) -> str:
    report = json.loads(result.stdout)
    return next(c for c in report["changes"] if c["kind"] == "datasource")["action"]


def test_plain_deploy_keeps_the_url_an_earlier_deploy_set(double):
    first = deploy(double, PROMETHEUS_URL="http://prom-x:9090")
    assert first.exit_code == 0, first.stderr
    assert double.datasources[UID]["url"] == "http://prom-x:9090"
    double.reset_log()
    plain = deploy(double)
    assert plain.exit_code == 0, plain.stderr
    assert double.datasources[UID]["url"] == "http://prom-x:9090"
    assert datasource_status(plain) == "unchanged"
    assert not [w for w in double.writes() if "datasources" in w[1]]


def test_plain_plan_shows_no_datasource_change(double):
    deploy(double, "--prometheus-url", "http://prom-x:9090")
    assert datasource_status(deploy(double, command="plan")) == "unchanged"


def test_a_new_datasource_gets_the_default(double):
    result = deploy(double)
    assert result.exit_code == 0, result.stderr
    assert double.datasources[UID]["url"] == "http://prometheus:9090"


def test_a_given_url_still_updates(double):
    deploy(double, PROMETHEUS_URL="http://prom-x:9090")
    moved = deploy(double, "--prometheus-url", "http://prom-y:9090")
    assert datasource_status(moved) == "update"
    assert double.datasources[UID]["url"] == "http://prom-y:9090"


def test_a_changed_scrape_interval_updates_but_keeps_the_url(double):
    deploy(double, PROMETHEUS_URL="http://prom-x:9090")
    result = deploy(double, "--scrape-interval", "30s")
    assert datasource_status(result) == "update"
    stored = double.datasources[UID]
    assert stored["url"] == "http://prom-x:9090" and stored["jsonData"]["timeInterval"] == "30s"


def test_config_datasource_url_is_a_given_url(double, tmp_path):
    (tmp_path / "plano-grafana.toml").write_text('[datasource]\nurl = "http://prom-cfg:9090"\n')
    deploy(double, PROMETHEUS_URL="http://prom-x:9090")
    from_config = deploy(double)
    assert datasource_status(from_config) == "update"
    assert double.datasources[UID]["url"] == "http://prom-cfg:9090"
    assert datasource_status(deploy(double)) == "unchanged"
    flag = deploy(double, "--prometheus-url", "http://prom-flag:9090")
    assert datasource_status(flag) == "update"
    assert double.datasources[UID]["url"] == "http://prom-flag:9090"


def test_provisioning_takes_the_config_url(double, tmp_path):
    (tmp_path / "plano-grafana.toml").write_text('[datasource]\nurl = "http://prom-cfg:9090"\n')
    result = CliRunner().invoke(main, ["provisioning", "--out", "prov"],
                                env={"PROMETHEUS_URL": None})
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "prov/grafana/datasources/plano.yaml").read_text()
    assert "url: http://prom-cfg:9090" in text


STAGING = """\
[environments.staging]
url_env = "STAGING_GRAFANA_URL"
token_env = "STAGING_GRAFANA_TOKEN"
datasource = "prom-staging"
"""


@pytest.mark.parametrize("named, code", [(False, 1), (True, 0)])
def test_an_environment_names_its_own_datasource(double, tmp_path, named, code):
    """Beside the default datasource (named "Plano Prometheus"), --env staging's second
    datasource needs a name of its own: Grafana refuses two with one name."""
    assert deploy(double).exit_code == 0
    name = 'datasource_name = "Plano Prometheus (staging)"\n' if named else ""
    (tmp_path / "plano-grafana.toml").write_text(STAGING + name)
    result = deploy(double, "--env", "staging", STAGING_GRAFANA_URL=double.url,
                    STAGING_GRAFANA_TOKEN="glsa_admin_token")
    assert result.exit_code == code, result.stdout + result.stderr
    if named:
        assert {d["name"] for d in double.datasources.values()} == {
            "Plano Prometheus", "Plano Prometheus (staging)"}
        stored = next(d for d in double.dashboards.values())["data"]
        assert "prom-staging" in json.dumps(stored["templating"])
