"""What a newcomer looked for and did not find (issue 20 item 10), each checked."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from plano_grafana.build.dashboards import MODULES
from plano_grafana.cli import main
from plano_grafana.model import plano_config as pc
from plano_grafana.model import upstream
from plano_grafana.simulate.profiles import Profile
from plano_grafana.simulate.simulator import Simulator
from tests.conftest import REPO, require_binary
from tests.support import cli
from tests.support.preview_stack import countdown
from tests.support.prometheus import Prometheus

README = (Path(REPO) / "README.md").read_text()
NUMBERS = {3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}


# --- --version -------------------------------------------------------------------------

def test_version_names_plano_release_commit_and_grafana_versions():
    out = CliRunner().invoke(main, ["--version"]).stdout
    assert f"Plano {upstream.PLANO_RELEASE}" in out and upstream.PLANO_COMMIT in out
    assert all(v in out for v in upstream.GRAFANA_TESTED), out


def test_version_facts_match_the_docs_and_the_contract_job():
    """--version must not drift from what the catalogue was read at and CI tests against."""
    metrics_doc = (Path(REPO) / "docs/metrics.md").read_text()
    assert f"katanemo/plano@{upstream.PLANO_COMMIT}" in metrics_doc
    workflow = yaml.safe_load((Path(REPO) / ".github/workflows/dashboards.yml").read_text())
    images = re.findall(r"grafana/grafana(?:-oss)?:([0-9.]+)", str(workflow))
    assert sorted(images) == sorted(upstream.GRAFANA_TESTED)


# --- shell completion --------------------------------------------------------------------

def test_documented_completion_command_gives_a_completion_script():
    command = re.search(r'eval "\$\((_PLANO_GRAFANA_COMPLETE=bash_source plano-grafana)\)"', README)
    assert command, "the README documents bash completion"
    script = Path(sys.executable).parent / "plano-grafana"
    var, value = command.group(1).split()[0].split("=")
    result = subprocess.run([str(script)], env={**os.environ, var: value}, capture_output=True,
                            text=True, timeout=60)
    assert "complete -o nosort -F _plano_grafana_completion plano-grafana" in result.stdout


# --- make preview counts down ------------------------------------------------------------

def test_countdown_reports_progress_in_a_log():
    out = io.StringIO()
    countdown(time.time() + 0.35, every=0.1, out=out)
    lines = out.getvalue().splitlines()
    left = [line for line in lines if "s of traffic left" in line]
    assert len(left) >= 3, lines
    assert lines[-1].endswith("traffic collected, drawing the dashboards ...")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_countdown_rewrites_one_line_on_a_terminal():
    out = _Terminal()
    countdown(time.time() + 1.5, out=out)
    text = out.getvalue()
    assert text.count("\r") >= 2 and text.count("\n") == 1, repr(text)
    assert "2 s of traffic left" in text and "1 s of traffic left" in text


# --- a preview before data exists --------------------------------------------------------

@pytest.mark.prometheus  # starts a Prometheus server: not part of `make test-fast`
def test_preview_before_any_sample_says_so(tmp_path):
    prom = Prometheus(require_binary("prometheus", "PROMETHEUS_BIN")).start()  # scrapes nothing
    try:
        result = CliRunner().invoke(main, ["preview", "--prometheus-url", prom.url, "--out",
                                           str(tmp_path), "--range", "5m", "--dashboard",
                                           "plano-routing"])
    finally:
        prom.stop()
    assert result.exit_code == 1, result.output
    error = result.stderr.strip().splitlines()[-1]
    assert "holds no samples yet" in error and "last 5m" in error, result.stderr
    assert (tmp_path / "plano-routing.png").exists()


# --- prometheus-config --rules, as the README's recipe uses it ---------------------------

def _recipe() -> list[str]:
    section = README.split("## See them populated without Plano", 1)[1].split("```sh", 1)[1]
    text = section.split("```", 1)[0].replace("\\\n", " ")
    line = next(li for li in text.splitlines() if "prometheus-config" in li)
    return line.split("prometheus-config", 1)[1].split("#")[0].split()


def test_readme_recipe_loads_the_rules(tmp_path, promtool):
    args = _recipe()
    assert "--rules" in args
    shutil.copytree(Path(REPO) / "rules", tmp_path / "rules")
    result = cli.run("prometheus-config", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = yaml.safe_load((tmp_path / "prometheus.yml").read_text())
    assert written["rule_files"] == ["rules/*.yaml"]
    check = subprocess.run([promtool, "check", "config", "prometheus.yml"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
    count = len(list((tmp_path / "rules").glob("*.yaml")))
    assert check.returncode == 0 and f"SUCCESS: {count} rule files found" in check.stdout, \
        check.stdout + check.stderr


@pytest.mark.parametrize("make, says", [(False, "no such folder"), (True, "no *.yaml rule files")])
def test_rules_folder_without_rules_is_one_line(tmp_path, make, says):
    if make:
        (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["prometheus-config", "--rules", str(tmp_path / "empty")])
    assert result.exit_code == 1 and says in result.stderr and "Traceback" not in result.stderr


# --- make clean ---------------------------------------------------------------------------

def test_make_clean_removes_what_preview_provisioning_and_the_recipe_leave(tmp_path):
    shutil.copy(Path(REPO) / "Makefile", tmp_path / "Makefile")
    left = ["previews/plano-spend.png", "provisioning/dashboards/x.json", "prometheus.yml",
            ".prometheus-data/wal/0", ".venv/bin/python"]
    for name in left:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / "dashboards").mkdir()
    (tmp_path / "dashboards/kept.json").write_text("{}")
    subprocess.run(["make", "clean"], cwd=tmp_path, check=True, capture_output=True, timeout=60)
    assert [n for n in left if (tmp_path / n.split("/")[0]).exists()] == []
    assert (tmp_path / "dashboards/kept.json").exists(), "committed outputs stay"


# --- the simulator's build_info ------------------------------------------------------------

def test_simulated_build_info_is_what_brightstaff_reports():
    """brightstaff's build_info carries its crate version (crates/brightstaff/Cargo.toml:
    0.1.0 at Plano 0.4.36) and GIT_SHA, unset by Plano's Dockerfile: "unknown"."""
    text = Simulator(Profile(seed=1)).brightstaff.render("brightstaff")
    line = next(li for li in text.splitlines() if li.startswith("brightstaff_build_info{"))
    assert 'version="0.1.0"' in line and 'git_sha="unknown"' in line, line


# --- README facts -------------------------------------------------------------------------

def test_readme_counts_the_package_dashboards():
    said = re.search(r"\*\*in addition to\*\* the package's (\w+)", README).group(1)
    assert said == NUMBERS[len(MODULES)]


def test_readme_names_the_group_of_each_promtool_test_file():
    paragraph = README.split("**Proof:** `tests/rules/*.test.yaml`", 1)[1].split("\n\n", 1)[0]
    files = sorted((Path(REPO) / "tests/rules").glob("*.test.yaml"))
    assert files and "one per group" not in paragraph
    for path in files:
        assert f"`{path.name.removesuffix('.test.yaml')}`" in paragraph, path.name


def test_readme_says_how_the_recording_tests_get_their_prometheus():
    recording = (Path(REPO) / "tests/test_e2e_recording.py").read_text()
    assert "plano_stack" in recording and "Stack(" not in recording
    assert "recording tests add a second Prometheus" in README
    assert "recording tests start their own" not in README


# --- plano-config --help -------------------------------------------------------------------

def test_plano_config_help_explains_every_column_of_its_report():
    text = CliRunner().invoke(main, ["plano-config", "--help"]).stdout
    header = pc.report([]).splitlines()[0]
    columns = [c for c in re.split(r"\s{2,}", header) if c]
    assert len(columns) == 5
    assert all(c in text for c in columns), (columns, text)
    assert "Example: plano-grafana plano-config plano_config.yaml" in text
