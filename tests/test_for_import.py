"""``build --for-import``: Grafana's "Import dashboard" format.

What Grafana's import does with the file is reproduced from its source
(pkg/services/dashboardimport/utils/dash_template_evaluator.go: every ``${NAME}`` of an
``__inputs`` entry, in any string, becomes the chosen value; ``__inputs`` is dropped),
and the result must be the committed dashboard on the chosen datasource.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest
from grafana_foundation_sdk.cog.plugins import register_default_plugins

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from grafana_foundation_sdk.models import dashboard as sdk

from tests.conftest import REPO
from tests.support.cli import run

COMMITTED = {p.name: json.loads(p.read_text()) for p in (Path(REPO) / "dashboards").glob("*.json")}


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("import")
    result = run("build", "--for-import", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return {p.name: json.loads(p.read_text()) for p in out.glob("*.json")}


def grafana_import(template: dict, inputs: dict[str, str]):
    """dash_template_evaluator.go's Eval: ``${name}`` -> value in every string."""
    needed = {i["name"] for i in template["__inputs"]}
    assert needed <= set(inputs), "DashboardInputMissingError"

    def value(v):
        if isinstance(v, str):
            return re.sub(r"(\$\{.+?\})", lambda m: inputs.get(m.group(1)[2:-1], m.group(1)), v)
        if isinstance(v, list):
            return [value(x) for x in v]
        if isinstance(v, dict):
            return {k: value(x) for k, x in v.items() if k != "__inputs"}
        return v

    return value(template)


def test_every_dashboard_has_the_datasource_input_and_requires(imported):
    assert sorted(imported) == sorted(COMMITTED)
    for name, data in imported.items():
        assert data["__inputs"] == [{
            "name": "DS_PROMETHEUS", "label": "Prometheus", "type": "datasource",
            "pluginId": "prometheus", "pluginName": "Prometheus",
            "description": "The Prometheus that scrapes Plano (Envoy and brightstaff)"}], name
        requires = {(r["type"], r["id"]) for r in data["__requires"]}
        panel_types = {p["type"] for p in data["panels"] if p["type"] != "row"}
        assert requires == {("grafana", "grafana"), ("datasource", "prometheus"),
                            *(("panel", t) for t in panel_types)}, name
        assert [r["id"] for r in data["__requires"]] == sorted(r["id"] for r in data["__requires"])
        assert "${DS_PROMETHEUS}" in json.dumps(data), name


def test_importing_gives_the_committed_dashboard_on_the_chosen_datasource(imported):
    for name, data in imported.items():
        result = grafana_import(data, {"DS_PROMETHEUS": "my-prometheus"})
        assert "${DS_PROMETHEUS}" not in json.dumps(result)
        (variable,) = [v for v in result["templating"]["list"] if v["type"] == "datasource"]
        assert variable["current"]["value"] == "my-prometheus"
        expected = json.loads(json.dumps(COMMITTED[name]))
        (want,) = [v for v in expected["templating"]["list"] if v["type"] == "datasource"]
        want["current"] = variable["current"]
        assert {k: v for k, v in result.items() if not k.startswith("__")} == expected, name


def test_the_pinned_foundation_sdk_still_loads_them(imported):
    register_default_plugins()
    for name, data in imported.items():
        model = sdk.Dashboard.from_json(data)
        assert model.uid == data["uid"] and model.title == data["title"], name


def test_for_import_needs_an_out_folder():
    result = run("build", "--for-import")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("plano-grafana: error: --for-import needs --out DIR: "
                                     "dashboards/ holds the committed form that deploy, "
                                     "provisioning and check use")
