"""The config travels as an argument: the two hazards of the ambient config, pinned.

Before, ``alerts.groups(cfg)`` read the windows of the *ambient* config before making
``cfg`` active, and the lint's "recorded series" came from the default config whatever
``--config`` said. Both are functions of the config they are handed now (the command's
``--config`` is tests/test_lint.py's ``test_the_config_given_is_the_config_linted``).
"""

from __future__ import annotations

import re

import attr

from plano_grafana import pipeline
from plano_grafana.build.rules import alerts
from plano_grafana.lint import run as lint
from plano_grafana.model import config, durations


def _windows_in(groups: list[dict]) -> set[str]:
    text = "\n".join(str(r.get("expr", "")) + " " + str(r.get("record", "")) + " "
                     + str(r.get("for", "")) for g in groups for r in g["rules"])
    return set(re.findall(r"\[(\d+[smhd][\dsmhd]*)\]", text)) | set(
        re.findall(r"ratio_rate(\d+[smhd][\dsmhd]*)", text))


def test_alert_windows_follow_the_config_handed_in_directly():
    """Hazard 1: at a 2 m scrape interval no window of the alerts is under four scrapes
    (8m), even when ``groups`` is called directly, outside any pipeline."""
    cfg = attr.evolve(config.DEFAULT, scrape_interval=120.0)
    windows = _windows_in(alerts.groups(cfg))
    assert windows, "no windows found in the alert rules"
    short = sorted(w for w in windows if durations.seconds(w) < 480)
    assert short == [], f"windows under 8m at scrape_interval=120: {short}"
    # and the default config still has its 5m window: the argument, not a global, decides
    assert "5m" in _windows_in(alerts.groups(config.DEFAULT))


def test_lint_knows_the_recorded_series_of_the_config_it_is_given():
    """Hazard 2: recorded series are named by the config's window (rate2m at 30 s); the
    lint must read them from that config, or every recorded panel is 'unknown'."""
    cfg = attr.evolve(config.DEFAULT, recording_rules=True, scrape_interval=30.0)
    dashboards = pipeline.build(cfg)
    assert any(":rate2m" in json for json in map(str, dashboards.values()))
    assert lint.dashboards(dashboards.values(), cfg, promql=False) == []

