"""The compiled JSON: deterministic, current schema, drift check, clean failures."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from plano_grafana.build import compiler
from plano_grafana.model.config import DEFAULT
from tests.conftest import REPO
from tests.support.cli import run


def test_build_is_byte_identical(compiled):
    again = compiler.build_all(DEFAULT)
    assert {k: compiler.render(v) for k, v in compiled.items()} == \
        {k: compiler.render(v) for k, v in again.items()}


def test_five_dashboards_with_stable_uids(compiled):
    assert sorted(compiled) == ["plano-input-tokens.json", "plano-llm-requests.json",
                                "plano-output-tokens.json", "plano-routing.json",
                                "plano-spend.json"]


def test_current_schema_and_datasource_references(compiled):
    for data in compiled.values():
        assert data["schemaVersion"] >= 39
        assert "__inputs" not in data and "id" not in data
        text = compiler.render(data)
        assert "DS_PROMETHEUS" not in text and text.endswith("}\n")
        for panel in data["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert all(t["datasource"] == panel["datasource"] for t in panel["targets"])


def test_dashboards_link_each_other_and_carry_tags(compiled):
    for data in compiled.values():
        assert {"plano", "plano-grafana"} <= set(data["tags"])
        assert data["links"][0]["tags"] == ["plano"] and data["links"][0]["includeVars"]
        names = [v["name"] for v in data["templating"]["list"]]
        assert names[0] == "datasource"
        assert {"provider", "model", "bs_job"} <= set(names)
        if data["uid"] not in ("plano-routing", "plano-spend"):  # brightstaff-only ones
            assert names[1:4] == ["job", "instance", "cluster"]


def test_committed_dashboards_are_up_to_date(compiled):
    assert compiler.drift(Path(REPO) / "dashboards", compiled) == []


@pytest.fixture
def workdir(tmp_path, compiled):
    out = tmp_path / "dashboards"
    compiler.write(out, compiled)
    return tmp_path


def test_check_exits_1_with_a_diff_naming_the_edited_file(workdir):
    path = workdir / "dashboards" / "plano-output-tokens.json"
    path.write_text(path.read_text().replace("Plano · Output tokens", "Hand edited"))
    result = run("check", "--out", str(workdir / "dashboards"))
    assert result.returncode == 1
    assert "plano-output-tokens.json (on disk)" in result.stdout
    assert "-  \"title\": \"Hand edited\"" in result.stdout
    assert "differ from a fresh build" in result.stderr


def test_check_passes_on_a_fresh_build(workdir):
    result = run("check", "--out", str(workdir / "dashboards"))
    assert result.returncode == 0, result.stderr


BROKEN = {
    "raises": "def build():\n    raise RuntimeError('boom in build')\n",
    "unknown_metric": textwrap.dedent("""
        from plano_grafana.model import catalogue as c
        def build():
            return c.NO_SUCH_METRIC
        """),
    "duplicate_uid": textwrap.dedent("""
        from plano_grafana.build.dashboards.llm_requests import build as _b
        import attr
        def build(cfg):
            return attr.evolve(_b(cfg), title="copy")
        """),
}


@pytest.mark.parametrize("name, expected", [
    ("raises", "dashboard module raises: RuntimeError: boom in build (at raises.py:2)"),
    ("unknown_metric", "dashboard module unknown_metric: AttributeError"),
    ("duplicate_uid", "dashboard module duplicate_uid: uid 'plano-llm-requests' is already used "
                      "by dashboard module plano_grafana.build.dashboards.llm_requests"),
])
def test_broken_module_one_line_error_and_no_write(workdir, name, expected):
    (workdir / f"{name}.py").write_text(BROKEN[name])
    before = {p.name: p.read_bytes() for p in (workdir / "dashboards").iterdir()}
    result = run("build", "--out", str(workdir / "dashboards"),
                     "--module", "plano_grafana.build.dashboards.llm_requests", "--module", name,
                     cwd=workdir)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    after = {p.name: p.read_bytes() for p in (workdir / "dashboards").iterdir()}
    assert after == before


def test_module_with_a_metric_outside_the_catalogue_is_refused(workdir):
    (workdir / "rogue.py").write_text(textwrap.dedent("""
        from plano_grafana.model import catalogue as c
        from plano_grafana.build.panels import Panels
        from plano_grafana.build.queries import Queries
        from plano_grafana.build.templating import dashboard
        ROGUE = c.Metric("envoy_wasmcustom_ratelimited_rq", c.Kind.COUNTER, "short",
                         c.Source.WASM, "wrong name")
        def build(cfg):
            q = Queries(cfg)
            p = Panels(q)
            return dashboard(q, "rogue", "Rogue", "d", [("Row", [
                p.stat("Rejected", "desc", q.rate(ROGUE), "reqps")])])
        """))
    result = run("build", "--out", str(workdir / "out"), "--module", "rogue", cwd=workdir)
    assert result.returncode == 1
    assert "rogue: panel 'Rejected': known-metric: envoy_wasmcustom_ratelimited_rq" in result.stderr
    assert not (workdir / "out").exists()


def test_build_removes_only_its_own_dashboards_no_module_produces(tmp_path, compiled):
    (tmp_path / "old-dashboard.json").write_text(json.dumps(
        {"uid": "old-dashboard", compiler.MARKER: {"generatedBy": "plano-grafana"}}))
    (tmp_path / "notes.json").write_text("{}")
    result = compiler.write(tmp_path, compiled)
    assert result.removed == ["old-dashboard.json"] and not (tmp_path / "old-dashboard.json").exists()
    assert (tmp_path / "notes.json").read_text() == "{}"
    assert compiler.write(tmp_path, compiled) == compiler.Written()


def test_json_files_parse(compiled, tmp_path):
    compiler.write(tmp_path, compiled)
    for path in tmp_path.glob("*.json"):
        assert json.loads(path.read_text())["uid"] == path.stem


def test_a_zero_argument_build_still_builds_through_the_adapter(workdir):
    """A team module written before the config was passed keeps working: its ``build()``
    is called without the config (and so follows none of it: see compiler.call_build)."""
    (workdir / "old_style.py").write_text(textwrap.dedent("""
        from grafanalib import core as g
        def build():
            return g.Dashboard(title="Old style", uid="old-style", panels=[])
        """))
    result = run("build", "--out", str(workdir / "out"), "--no-defaults", "--module",
                     "old_style", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert json.loads((workdir / "out" / "old-style.json").read_text())["title"] == "Old style"
