"""The compiled JSON against Grafana's own dashboard schema.

grafana-foundation-sdk is Grafana's generated Python model of the dashboard schema. Its
``Dashboard.from_json`` raised ``TypeError`` on every dashboard while the datasource
variable carried ``"datasource": null``; the schema has no nulls besides a threshold
step's ``value``, and Grafana's own UI save strips the others.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins

with warnings.catch_warnings():
    # the SDK calls its classic (v1) dashboard model superseded by v2; ours is v1
    warnings.simplefilter("ignore", DeprecationWarning)
    from grafana_foundation_sdk.models import dashboard as sdk

from plano_grafana.build import compiler
from tests.conftest import REPO

COMMITTED = sorted((Path(REPO) / "dashboards").glob("*.json"))
HEATMAP_LEGACY = {"cards", "color", "dataFormat", "heatmap", "hideZeroBuckets", "highlightCards",
                  "legend", "reverseYBuckets", "tooltip", "tooltipDecimals", "xAxis", "yAxis",
                  "yBucketBound", "xBucketSize", "xBucketNumber", "yBucketSize", "yBucketNumber"}


def nulls(value, path: str = "") -> Iterator[str]:
    """JSON paths of every null, except a threshold step's ``value`` (the schema's one)."""
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}"
            if item is None and not (key == "value" and ".steps[" in path):
                yield here
            yield from nulls(item, here)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from nulls(item, f"{path}[{i}]")


def panels(data: dict) -> Iterator[dict]:
    for panel in data.get("panels", []):
        yield panel
        yield from panels(panel)


def model_panels(model) -> Iterator:
    for panel in model.panels or []:
        if isinstance(panel, sdk.RowPanel):
            yield from panel.panels or []
        else:
            yield panel


@pytest.fixture(scope="module")
def committed() -> dict[str, dict]:
    assert COMMITTED, "no compiled dashboards in dashboards/"
    return {p.name: json.loads(p.read_text()) for p in COMMITTED}


def test_no_null_the_schema_forbids(committed):
    for name, data in committed.items():
        assert list(nulls(data)) == [], name


def test_null_cleaning_keeps_the_base_threshold_step():
    data = compiler._without_nulls({"decimals": None, "thresholds": {"steps": [
        {"color": "green", "value": None}, {"color": "red", "value": 80}]}, "min": None})
    assert data == {"thresholds": {"steps": [{"color": "green", "value": None},
                                             {"color": "red", "value": 80}]}}


def test_no_legacy_heatmap_keys(committed):
    heatmaps = [p for data in committed.values() for p in panels(data) if p["type"] == "heatmap"]
    assert heatmaps, "the dashboards have heatmaps"
    for panel in heatmaps:
        assert not HEATMAP_LEGACY & set(panel), panel["title"]
        # the keys are dead only because Grafana never migrates a panel that has options
        assert panel["options"]["calculate"] is False and panel["options"]["yAxis"]["unit"]


def test_grafana_foundation_sdk_loads_every_dashboard(committed):
    register_default_plugins()
    for name, data in committed.items():
        model = sdk.Dashboard.from_json(data)
        assert model.uid == data["uid"] and model.title == data["title"], name
        loaded = json.loads(json.dumps(model, cls=JSONEncoder))
        want = [(p["type"], p["title"]) for p in panels(data)]
        assert [(p["type"], p["title"]) for p in panels(loaded)] == want, name
        assert [v["name"] for v in loaded["templating"]["list"]] == \
               [v["name"] for v in data["templating"]["list"]], name
        for panel in model_panels(model):
            # typed options: the SDK has a model for each panel kind we use, and it took ours
            kind = panel.type_val
            assert type(panel.options).__module__.endswith(f".models.{kind}"), (name, panel.title)


def test_the_sdk_rejects_what_the_old_compiler_emitted(committed):
    data = json.loads(json.dumps(next(iter(committed.values()))))
    data["templating"]["list"][0]["datasource"] = None
    with pytest.raises(TypeError):
        sdk.Dashboard.from_json(data)
