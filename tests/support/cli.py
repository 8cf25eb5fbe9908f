"""Run the command line in-process (click's runner) with a clean Grafana environment, and
the two shapes a refusal takes: click's usage error, and the package's one-line error."""

from __future__ import annotations

from click.testing import CliRunner

from plano_grafana.cli import main

#: Settings a developer's shell may hold that must not leak into a test.
CLEAN_ENV = {"GRAFANA_URL": None, "GRAFANA_TOKEN": None, "GRAFANA_VERIFY": None,
             "GRAFANA_TIMEOUT": None, "GRAFANA_ORG_ID": None, "GRAFANA_CA_BUNDLE": None,
             "PROMETHEUS_URL": None}


def invoke(*args: str, **env: str):
    """Run ``plano-grafana ARGS``; any exception but click's exit fails the test, and no
    traceback may reach the user."""
    result = CliRunner().invoke(main, list(args), env={**CLEAN_ENV, **env})
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{type(result.exception).__name__}: {result.exception}"
    assert "Traceback" not in result.stderr
    return result


def usage_error(result, option: str, rule: str) -> None:
    """Exit 2 and exactly one ``Error:`` line, naming ``option`` and saying ``rule``."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert result.exit_code == 2, result.output
    assert len(errors) == 1 and f"'{option}'" in errors[0] and rule in errors[0], result.stderr


def one_line_error(result, *words: str) -> str:
    """Exit 1 and a single ``plano-grafana: error:`` line holding every word; the line."""
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1, result.output
    assert len(lines) == 1 and lines[0].startswith("plano-grafana: error:"), result.stderr
    assert all(w in lines[0] for w in words), lines[0]
    return lines[0]
