"""build/check through the real CLI: which files a build owns, writes and removes.

``--module`` adds to the shipped dashboards; a JSON file in the output folder that no
module produced is removed only if plano-grafana wrote it (it carries the marker);
anything else there is left alone.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from plano_grafana.build import compiler
from tests.conftest import REPO
from tests.support.cli import Ran, run, without

#: The package's own compiled dashboards, as committed.
SHIPPED = tuple(sorted(p.name for p in (Path(REPO) / "dashboards").glob("*.json")))
TEAM = "tests.support.team_dashboard"


@pytest.fixture
def out(tmp_path) -> Path:
    """An output folder holding the shipped dashboards, as ``make dashboards`` leaves it."""
    folder = tmp_path / "dashboards"
    folder.mkdir()
    for name in SHIPPED:
        shutil.copy(Path(REPO) / "dashboards" / name, folder / name)
    return folder


def test_module_adds_to_the_shipped_dashboards(out):
    result = run("build", "--out", str(out), "--module", TEAM)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.glob("*.json")) == sorted((*SHIPPED, "team-x-overview.json"))
    assert result.stdout.splitlines()[0] == f"wrote {out / 'team-x-overview.json'}"
    assert "removed" not in result.stdout
    assert f"{len(SHIPPED) + 1} dashboards, 1 changed" in result.stdout


def test_stale_output_is_removed_only_when_plano_grafana_wrote_it(out):
    run("build", "--out", str(out), "--module", TEAM)
    notes = out / "notes.json"
    notes.write_text('{"owner": "a human"}\n')
    not_ours = out / "imported.json"
    not_ours.write_text(json.dumps({"uid": "imported", "title": "Hand-made", "panels": []}))
    result = run("build", "--out", str(out))  # the team module is no longer asked for
    assert result.returncode == 0, result.stderr
    assert f"removed {out / 'team-x-overview.json'}" in result.stdout.splitlines()
    assert not (out / "team-x-overview.json").exists()
    assert notes.read_text() == '{"owner": "a human"}\n' and not_ours.exists()
    assert "notes.json" not in result.stdout and "imported.json" not in result.stdout
    assert sorted(p.name for p in out.glob("plano-*.json")) == sorted(SHIPPED)


def test_compiled_json_carries_the_marker():
    from plano_grafana.deploy import drift

    for name in SHIPPED:
        data = json.loads((Path(REPO) / "dashboards" / name).read_text())
        assert compiler.generated(data), name
        # deploy compares without it and saves its own marker under the same key, so a
        # compiled file imported by hand is not taken for a dashboard deploy saved
        assert compiler.MARKER == drift.MARKER and not drift.owned(data)
        assert drift.normalise(data) == {k: v for k, v in data.items() if k != compiler.MARKER}
    assert not compiler.generated({"uid": "x", "planoGrafana": {"managedBy": "someone-else"}})


def test_no_defaults_builds_only_the_given_modules(tmp_path):
    result = run("build", "--out", str(tmp_path), "--no-defaults", "--module", TEAM)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in tmp_path.glob("*.json")] == ["team-x-overview.json"]
    refused = run("build", "--out", str(tmp_path), "--no-defaults")
    assert refused.returncode == 1 and "--no-defaults needs --module" in refused.stderr


def test_check_agrees_with_build_and_names_the_working_tree(out):
    assert run("check", "--out", str(out)).returncode == 0
    (out / "notes.json").write_text("{}\n")  # not ours: check ignores it as build does
    assert run("check", "--out", str(out)).returncode == 0
    run("build", "--out", str(out), "--module", TEAM)
    result = run("check", "--out", str(out))  # a plain build would remove the team file
    assert result.returncode == 1
    assert f"--- {out / 'team-x-overview.json'} (on disk)" in result.stdout
    assert "(committed)" not in result.stdout
    assert run("check", "--out", str(out), "--module", TEAM).returncode == 0


def grafana_cli(double, *args: str) -> Ran:
    return run(*args, env={**without("GRAFANA_"), "GRAFANA_URL": double.url,
                           "GRAFANA_TOKEN": "glsa_admin_token"})


def test_a_team_deploys_its_module_without_moving_plano_dashboards():
    from tests.support.grafana_double import GrafanaDouble

    double = GrafanaDouble().start()
    try:
        assert grafana_cli(double, "deploy").returncode == 0
        plano = {uid: d["folderUid"] for uid, d in double.dashboards.items()}
        assert set(plano) == {name.removesuffix(".json") for name in SHIPPED}
        double.reset_log()
        planned = grafana_cli(double, "plan", "--no-defaults", "--module", TEAM,
                              "--folder", "teamx:Team X", "--format", "json")
        assert planned.returncode == 0, planned.stderr
        names = {c["name"] for c in json.loads(planned.stdout)["changes"] if c["kind"] == "dashboard"}
        assert names == {"team-x-overview"}  # the same set `build --no-defaults --module` writes
        deployed = grafana_cli(double, "deploy", "--no-defaults", "--module", TEAM,
                               "--folder", "teamx:Team X")
        assert deployed.returncode == 0, deployed.stderr
        assert double.dashboards["team-x-overview"]["folderUid"] == "teamx"
        assert {uid: double.dashboards[uid]["folderUid"] for uid in plano} == plano
        saved = [path for method, path, _ in double.writes() if "dashboards" in path]
        assert len(saved) == 1, double.writes()
    finally:
        double.stop()


def test_unknown_module_is_named_by_its_full_import_path(tmp_path):
    result = run("build", "--out", str(tmp_path), "--module", "nonexistent.module")
    assert result.returncode == 1
    assert "dashboard module nonexistent.module:" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_error_in_a_dashboard_module_names_its_file_and_line(tmp_path):
    source = Path(REPO) / "tests/support/broken_dashboard.py"
    line = next(i for i, text in enumerate(source.read_text().splitlines(), 1) if "BROKEN-LINE" in text)
    result = run("build", "--out", str(tmp_path), "--module", "tests.support.broken_dashboard")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("plano-grafana: error: dashboard module "
                               "tests.support.broken_dashboard: AttributeError:")
    assert "auto_panel_idz" in lines[0]
    assert lines[0].endswith(f" (at tests/support/broken_dashboard.py:{line})")
