"""Config errors surface where the config is read, naming the TOML file and the key
(issue 20 item 8), through the command line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from plano_grafana.cli import main

CLEAN_ENV = {"GRAFANA_URL": None, "GRAFANA_TOKEN": None, "PROMETHEUS_URL": None}


def invoke(*args: str, **env: str):
    result = CliRunner().invoke(main, list(args), env={**CLEAN_ENV, **env})
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{type(result.exception).__name__}: {result.exception}"
    assert "Traceback" not in result.stderr
    return result


def one_line_error(result, *words: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1, result.output
    assert len(lines) == 1 and lines[0].startswith("plano-grafana: error:"), result.stderr
    assert all(w in lines[0] for w in words), lines[0]
    return lines[0]


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command", [("config",), ("build", "--out", "out"), ("rules", "--out", "r")])
def test_missing_prices_file_is_caught_by_every_command_that_reads_the_config(here, command):
    (here / "plano-grafana.toml").write_text('prices_file = "models-dev.json"\n')
    one_line_error(invoke(*command), "plano-grafana.toml", "prices_file", "models-dev.json",
                   "no such")
    assert not (here / "out").exists() and not (here / "r").exists()


def test_broken_prices_file_is_caught_by_config(here):
    (here / "plano-grafana.toml").write_text('prices_file = "p.json"\n')
    (here / "p.json").write_text('{"openai": {"models": []}}')
    one_line_error(invoke("config"), "plano-grafana.toml", "prices_file", "p.json",
                   "openai.models: expected an object")


def test_missing_plano_config_names_the_toml_file_and_key(here):
    (here / "plano-grafana.toml").write_text('plano_config = "plano_config.yaml"\n')
    one_line_error(invoke("config"), "plano-grafana.toml", "plano_config", "plano_config.yaml",
                   "no such")


def test_missing_plano_config_flag_names_the_flag(here):
    one_line_error(invoke("config", "--plano-config", "absent.yaml"), "--plano-config",
                   "absent.yaml", "no such")


def test_toml_with_a_utf8_byte_order_mark_is_read(here):
    (here / "plano-grafana.toml").write_bytes("\ufeff[folder]\ntitle = \"Équipe\"\n"
                                              .encode("utf-8"))
    result = invoke("config")
    assert result.exit_code == 0, result.stderr
    assert 'title = "Équipe"' in result.stdout


def test_plano_config_with_a_byte_order_mark_is_read(here):
    (here / "plano.yaml").write_bytes("\ufeffmodel_providers:\n  - model: openai/gpt-4o\n"
                                      .encode("utf-8"))
    result = invoke("plano-config", "plano.yaml")
    assert result.exit_code == 0, result.stderr
    assert "openai/gpt-4o" in result.stdout


@pytest.mark.parametrize("command", ["plan", "deploy"])
def test_env_without_a_config_file_says_there_is_none(here, command):
    line = one_line_error(invoke(command, "--env", "prod", GRAFANA_URL="http://127.0.0.1:1",
                                 GRAFANA_TOKEN="x"),
                          "--env prod", "no config file")
    assert "plano-grafana.toml" in line and "[environments.prod]" in line
    assert "defaults:" not in line


def test_env_missing_from_a_config_file_lists_the_known_ones(here):
    (here / "plano-grafana.toml").write_text(
        '[environments.staging]\nurl_env = "U"\ntoken_env = "T"\n')
    one_line_error(invoke("plan", "--env", "prod"), "plano-grafana.toml", "'prod'", "staging")
