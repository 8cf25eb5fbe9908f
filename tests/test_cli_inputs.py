"""Bad command-line values end the command before the first request to Grafana.

Each is a click usage error (exit 2, one ``Error:`` line naming the option and the rule),
and the Grafana double's request log stays empty.
"""

from __future__ import annotations

import pytest

from plano_grafana.model import validate
from tests.support import cli
from tests.support.cli import Ran
from tests.support.grafana_double import GrafanaDouble


@pytest.fixture(scope="module")
def double():
    grafana = GrafanaDouble().start()
    yield grafana
    grafana.stop()


def run(double: GrafanaDouble, *args: str, **env: str) -> Ran:
    return cli.run(*args, env={**cli.without("GRAFANA_", "PROMETHEUS_URL"), "GRAFANA_URL": double.url,
                               "GRAFANA_TOKEN": "glsa_admin_token", **env})


BAD = [
    (("--folder", "my team:My Team"), "--folder", "letters a-z A-Z, digits, '-' and '_' (IsValidShortUID)"),
    (("--folder", ""), "--folder", "the uid is empty"),
    (("--folder", ":"), "--folder", "the uid is empty"),
    (("--folder", "a:b:c"), "--folder", "UID:TITLE with one ':'"),
    (("--folder", "plano:"), "--folder", "the folder title is empty"),
    (("--folder", "x" * 41 + ":Long"), "--folder", "at most 40 characters"),
    (("--folder", "general:Mine"), "--folder", "reserved by Grafana"),
    (("--scrape-interval", "fifteen"), "--scrape-interval", "not a Prometheus duration"),
    (("--scrape-interval", "1.5s"), "--scrape-interval", "not a Prometheus duration"),
    (("--scrape-interval", "0s"), "--scrape-interval", "above zero"),
    (("--prometheus-url", "not-a-url"), "--prometheus-url", "http:// or https:// URL"),
    (("--prometheus-url", "ftp://prometheus:9090"), "--prometheus-url", "http:// or https:// URL"),
    (("--prometheus-url", "http://prometheus:99999"), "--prometheus-url", "not a valid URL"),
]


@pytest.mark.parametrize("command", ["plan", "deploy"])
@pytest.mark.parametrize("args, option, rule", BAD, ids=[" ".join(b[0]) for b in BAD])
def test_bad_value_is_a_usage_error_and_sends_nothing(double, command, args, option, rule):
    double.reset_log()
    result = run(double, command, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    error = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and f"'{option}'" in error[0] and rule in error[0], result.stderr
    assert double.log == []


def test_bad_prometheus_url_from_the_environment_sends_nothing(double):
    double.reset_log()
    result = run(double, "deploy", PROMETHEUS_URL="prometheus:9090")
    assert result.returncode == 2 and "'--prometheus-url'" in result.stderr
    assert double.log == []


def test_password_in_a_bad_url_is_not_echoed(double):
    result = run(double, "plan", "--prometheus-url", "http://user:s3cret-pw@:9090")
    assert result.returncode == 2 and "s3cret-pw" not in result.stderr


@pytest.mark.parametrize("command", [("prometheus-config",), ("provisioning", "--out", "unused")])
def test_scrape_interval_checked_by_every_command_that_takes_it(command, tmp_path):
    result = cli.run(*command, "--scrape-interval", "fifteen", cwd=tmp_path)
    assert result.returncode == 2 and "not a Prometheus duration" in result.stderr
    assert not (tmp_path / "unused").exists()


def test_good_values_pass_and_reach_grafana(double):
    double.reset_log()
    result = run(double, "plan", "--folder", "team-x_1:Team X", "--scrape-interval", "1m30s",
                 "--prometheus-url", "https://prometheus.example:9090/sub")
    assert result.returncode == 0, result.stderr
    assert double.log, "a valid plan reads Grafana"


@pytest.mark.parametrize("text, ms", [("15s", 15000), ("1m30s", 90000), ("2h", 7200000),
                                      ("1d", 86400000), ("500ms", 500), ("0", 0)])
def test_durations_follow_prometheus(text, ms):
    assert validate.duration_ms(text) == ms


@pytest.mark.parametrize("text", ["", "15", "s", "1.5s", "30s1m", "15 s", "-1s", "1M"])
def test_not_prometheus_durations(text):
    assert validate.duration_ms(text) is None


def test_deploy_help_names_the_credentials():
    result = cli.run("deploy", "--help")
    assert "GRAFANA_URL" in result.stdout and "GRAFANA_TOKEN" in result.stdout
