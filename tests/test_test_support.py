"""The test suite's own conventions: the proof's statistics only under -v, every test that
needs a Prometheus server carries the ``prometheus`` marker (``make test-fast`` leaves
those out), and readiness polls in place of fixed sleeps."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_REPORTS = '''
def test_statistics(report):
    report("STATISTICS-LINE")
'''


@pytest.mark.parametrize("flag, shown", [("-q", False), ("-v", True)])
def test_statistics_are_printed_only_with_verbose(tmp_path, flag, shown):
    (tmp_path / "test_reports.py").write_text(_REPORTS)
    run = subprocess.run([sys.executable, "-m", "pytest", flag, "-p", "tests.conftest",
                          "-p", "no:cacheprovider", str(tmp_path / "test_reports.py")],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert ("STATISTICS-LINE" in run.stdout) is shown


def _sleeps(path: Path) -> list[str]:
    """``time.sleep(<number>)`` calls: fixed waits (a poll sleeps inside a loop that checks)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    loops = {id(n) for loop in ast.walk(tree) if isinstance(loop, ast.While | ast.For)
             for n in ast.walk(loop)}
    return [f"{path.relative_to(REPO)}:{node.lineno}" for node in ast.walk(tree)
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "time.sleep"
            and id(node) not in loops]


def test_no_fixed_sleep_outside_a_poll():
    """A sleep outside a loop waits a fixed time whether or not what the test needs is
    there; the stack, fleet, recording and alert tests poll Prometheus instead."""
    files = [p for p in (REPO / "tests").rglob("*.py")  # the double's injected latency
             if "grafana_double" not in p.relative_to(REPO).as_posix()]  # is what is tested
    assert [s for f in files for s in _sleeps(f)] == []


_STARTS_PROMETHEUS = '''
import pytest
from tests.support.prometheus import Prometheus


def test_unmarked():
    Prometheus("/nonexistent/prometheus").start()


@pytest.mark.prometheus
def test_marked():
    with pytest.raises(FileNotFoundError):
        Prometheus("/nonexistent/prometheus").start()
'''


def test_a_test_that_starts_prometheus_must_carry_the_marker(tmp_path):
    """``make test-fast`` deselects ``-m prometheus``: a test that starts a server without
    the marker fails, naming itself, instead of slowing the fast run down."""
    (tmp_path / "test_starts.py").write_text(_STARTS_PROMETHEUS)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest",
                          "-p", "no:cacheprovider", str(tmp_path / "test_starts.py")],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert "1 failed, 1 passed" in run.stdout, run.stdout + run.stderr
    assert "test_unmarked starts a Prometheus server: mark it @pytest.mark.prometheus" in run.stdout
