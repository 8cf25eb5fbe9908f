"""Shared fixtures: compiled dashboards, and whether Prometheus's binaries are here."""

from __future__ import annotations

import copy
import os
import shutil

import pytest

from plano_grafana.build import compiler
from plano_grafana.model.config import DEFAULT

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def compiled() -> dict[str, dict]:
    return compiler.build_all(DEFAULT)


@pytest.fixture
def dashboards(compiled) -> list[dict]:
    """A private deep copy that a test may mutate."""
    return copy.deepcopy(list(compiled.values()))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Which test is running, before its fixtures start: a Prometheus started for a test
    without the ``prometheus`` marker is refused (tests/support/prometheus.py)."""
    from tests.support import prometheus

    prometheus.RUNNING_TEST = item


@pytest.fixture
def report(request, capsys):
    """``report(text)`` prints past pytest's capture, and only under ``-v``: the proof's
    statistics are for whoever asks, not lines among the dots that read like a failure."""
    def show(text: str) -> None:
        if request.config.get_verbosity() > 0:
            with capsys.disabled():
                print(text)
    return show


def require_binary(name: str, env: str) -> str:
    """Path of a Prometheus binary; skip (or fail under CI's PLANO_REQUIRE_PROMETHEUS)."""
    path = os.environ.get(env) or shutil.which(name)
    if path:
        return path
    message = f"{name} not found on PATH or in ${env}: install Debian's 'prometheus' package"
    if os.environ.get("PLANO_REQUIRE_PROMETHEUS"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def promtool() -> str:
    return require_binary("promtool", "PROMTOOL_BIN")


def rule_file(directory) -> str:
    """Every rule module's groups for the default config, as one Prometheus rule file (the
    spend dashboard multiplies tokens by the price series these record)."""
    import importlib

    import yaml

    from plano_grafana.build.rules import MODULES
    from plano_grafana.model import config

    groups = [group for module in MODULES
              for group in importlib.import_module(module).groups(config.DEFAULT)]
    path = directory / "plano-rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    return str(path)


@pytest.fixture(scope="session")
def plano_stack(promtool, tmp_path_factory):
    """The one simulator + Prometheus run that the end-to-end tests share.

    Session-scoped so that the proof, previews and recording-rule checks pay for a single
    Prometheus start and its ~15 s of scrapes.
    """
    from tests.support.stack import Stack

    stack = Stack(require_binary("prometheus", "PROMETHEUS_BIN"), promtool=promtool,
                  rule_files=[rule_file(tmp_path_factory.mktemp("rules"))]).start()
    try:
        yield stack
    finally:
        stack.stop()
