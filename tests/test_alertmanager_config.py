"""The example Alertmanager config (docs/alertmanager.yml): current, valid for
``amtool check-config`` (Debian's prometheus-alertmanager ships amtool), and naming only
alerts and labels the rules produce. That its inhibitions work is proven end to end in
tests/test_e2e_alerts.py."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import attr
import pytest
import yaml

from plano_grafana.build import alertmanager, rules_compiler
from plano_grafana.model import config
from tests.conftest import REPO, require_binary

EXAMPLE = Path(REPO) / "docs" / "alertmanager.yml"
FLEET = attr.evolve(config.DEFAULT, fleet=config.Fleet("k8s_cluster"))


@pytest.fixture(scope="module")
def amtool() -> str:
    return require_binary("amtool", "AMTOOL_BIN")


def test_the_committed_example_is_current():
    assert EXAMPLE.read_text() == alertmanager.render(config.DEFAULT), (
        "run: .venv/bin/python -m plano_grafana.build.alertmanager > docs/alertmanager.yml")


@pytest.mark.parametrize("cfg", [config.DEFAULT, FLEET], ids=["default", "fleet"])
def test_amtool_check_config(cfg, amtool, tmp_path):
    path = tmp_path / "alertmanager.yml"
    path.write_text(alertmanager.render(cfg))
    proc = subprocess.run([amtool, "check-config", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 inhibit rules" in proc.stdout


def test_amtool_rejects_a_broken_config(amtool, tmp_path):
    """The check can fail: a matcher Alertmanager cannot parse."""
    data = alertmanager.config(config.DEFAULT)
    data["inhibit_rules"][0]["source_matchers"] = ['severity=~"(']
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(data))
    proc = subprocess.run([amtool, "check-config", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0


def test_inhibitions_name_real_alerts_and_keep_installations_apart():
    data = alertmanager.config(FLEET)
    rules = rules_compiler.build_all(FLEET)["alerts.yaml"]
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    named = {n for rule in data["inhibit_rules"]
             for m in rule["source_matchers"] + rule["target_matchers"]
             for n in re.findall(r"Plano\w+", m)}
    assert named <= alerts, named - alerts
    assert all("k8s_cluster" in rule["equal"] for rule in data["inhibit_rules"])
    assert "k8s_cluster" in data["route"]["group_by"]
