"""Compile dashboard modules to deterministic Grafana JSON.

:func:`to_dict` is the only place that turns a grafanalib object into a plain dict and
adapts it to current Grafana (schema version, datasource references, no legacy keys);
another builder (the Grafana Foundation SDK, say) would replace just that function.
It emits no ``null`` that Grafana's dashboard schema forbids (Grafana's own UI save
strips them too, see docs/grafana-api.md) and none of grafanalib's Angular-era keys.
Output is byte-identical on every run: sorted keys, 2-space indent, a trailing newline
and no timestamps. Writes happen only after every dashboard has built, through
:mod:`~plano_grafana.build.outputs`, so an error never leaves ``dashboards/`` half-written.

Every compiled dashboard carries ``"planoGrafana": {"generatedBy": "plano-grafana"}``.
That marker is how :func:`write` knows a stale file in the output folder is its own to
remove (a hand-placed ``notes.json`` is never touched). The sync engine ignores the key
when comparing and replaces it with its deploy marker (``managedBy``) when it saves, so a
file imported into Grafana by hand is not mistaken for one ``deploy`` saved.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable
from pathlib import Path

from grafanalib._gen import DashboardEncoder

from plano_grafana.build import outputs
from plano_grafana.build.dashboards import MODULES
from plano_grafana.build.jsontext import render
from plano_grafana.build.modules import ModuleError, run_module
from plano_grafana.build.outputs import Written
from plano_grafana.build.panels import DATASOURCE
from plano_grafana.model.config import OWNER_TAG, Config

__all__ = ["MARKER", "BuildError", "Written", "build_all", "build_module", "drift", "generated",
           "render", "stale", "texts", "to_dict", "write"]

#: The top-level key of plano-grafana's marker (drift.MARKER: deploy saves its own under it).
MARKER = "planoGrafana"

#: Grafana 10.4/11.x schema; grafanalib defaults to 12, which triggers UI migrations.
SCHEMA_VERSION = 39
#: Keys grafanalib emits for Grafana < 5 that current Grafana ignores or migrates.
_LEGACY_DASHBOARD_KEYS = ("__inputs", "rows", "style", "hideControls", "sharedCrosshair",
                          "id", "version", "gnetId")
_LEGACY_PANEL_KEYS = ("span", "minSpan", "height", "error", "cacheTimeout", "repeat",
                      "repeatDirection", "maxPerRow", "timeFrom", "timeShift", "interval",
                      "columns", "fontSize", "mappings", "maxDataPoints")
_LEGACY_TARGET_KEYS = ("target", "metric", "step", "query", "hide", "interval")
#: Angular heatmap keys grafanalib still emits. Grafana's heatmap panel (React, 9+) reads
#: them only to migrate a panel whose ``options`` are empty (``heatmapMigrationHandler``
#: and ``angularToReactHeatmap`` in public/app/plugins/panel/heatmap/migrations.ts); ours
#: always has ``options`` (``calculate: false``, colours, y axis), so they are dead weight.
_LEGACY_HEATMAP_KEYS = ("cards", "color", "dataFormat", "heatmap", "hideZeroBuckets",
                        "highlightCards", "legend", "reverseYBuckets", "tooltip",
                        "tooltipDecimals", "xAxis", "xBucketNumber", "xBucketSize", "yAxis",
                        "yBucketBound", "yBucketNumber", "yBucketSize")
#: grafanalib's Table writes ``color`` at the panel's top level, where Grafana 8+ ignores it.
_LEGACY_TABLE_KEYS = ("color",)


class BuildError(ModuleError):
    """A dashboard module failed to import or build; the message names the module."""


def to_dict(dashboard) -> dict:
    """A grafanalib ``Dashboard`` as current-Grafana JSON data."""
    data = json.loads(json.dumps(dashboard.to_json_data(), cls=DashboardEncoder))
    for key in _LEGACY_DASHBOARD_KEYS:
        data.pop(key, None)
    data["schemaVersion"] = SCHEMA_VERSION
    for panel in data.get("panels", []):
        _clean_panel(panel)
    for var in data.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            var["definition"] = var["query"]
        for key in ("useTags", "tagsQuery", "tagValuesQuery", "auto", "auto_min", "auto_count"):
            var.pop(key, None)
    data = _without_nulls(data)
    data[MARKER] = {"generatedBy": OWNER_TAG}
    return data


def _without_nulls(value, *, in_steps: bool = False):
    """``value`` without the ``null`` members Grafana's schema forbids.

    grafanalib writes ``None`` for every unset optional field (``decimals``, ``min``,
    ``max``, ``allValue``, a datasource variable's ``datasource`` ...); the schema types
    those as optional numbers or strings, never ``null``. The one null the schema allows,
    and Grafana needs, is the base threshold step's ``value`` (minus infinity).
    """
    if isinstance(value, dict):
        return {k: _without_nulls(v, in_steps=k == "steps") for k, v in value.items()
                if v is not None or (in_steps and k == "value")}
    if isinstance(value, list):
        return [_without_nulls(v, in_steps=in_steps) for v in value]
    return value


def generated(data: dict) -> bool:
    """Whether a dashboard's JSON was written by plano-grafana's compiler."""
    marker = data.get(MARKER) if isinstance(data, dict) else None
    return isinstance(marker, dict) and marker.get("generatedBy") == OWNER_TAG


def _clean_panel(panel: dict) -> None:
    for key in _LEGACY_PANEL_KEYS:
        panel.pop(key, None)
    for key in [k for k, v in panel.items() if v is None]:
        del panel[key]
    if panel.get("type") == "row":
        panel.pop("datasource", None)
        panel.pop("targets", None)
        panel.pop("fieldConfig", None)
        panel.setdefault("panels", [])
        return
    panel["datasource"] = dict(DATASOURCE)
    legacy = {"heatmap": _LEGACY_HEATMAP_KEYS, "table": _LEGACY_TABLE_KEYS}
    for key in legacy.get(panel.get("type"), ()):
        panel.pop(key, None)
    options = panel.get("options", {})
    options.pop("fieldOptions", None)  # grafanalib's Grafana 6 bar gauge options
    for target in panel.get("targets", []):
        for key in _LEGACY_TARGET_KEYS:
            target.pop(key, None)
        target["datasource"] = dict(DATASOURCE)
        target["editorMode"] = "code"
        target["range"] = not target.get("instant", False)


def call_build(build: Callable, cfg: Config):
    """``build(cfg)``, or ``build()`` for a module whose ``build`` takes no argument.

    The adapter for team modules written before the config was passed in the open: such
    a module keeps building, but sees none of the config (no fleet label, no selectors,
    no tags of the config); it should take ``cfg`` and build its queries with
    ``Queries(cfg)`` to follow them.
    """
    params = [p for p in inspect.signature(build).parameters.values()
              if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return build(cfg) if params else build()


def _dashboard(module_path: str, built):
    """What ``build(cfg)`` returned, if it is a grafanalib Dashboard; else one line saying so."""
    if not hasattr(built, "to_json_data"):
        raise BuildError(f"dashboard module {module_path}: build() returned "
                         f"{type(built).__name__}, not a grafanalib Dashboard "
                         "(end build(cfg) with 'return dashboard(...)' or a "
                         "grafanalib Dashboard)")
    return built


def build_module(cfg: Config, module_path: str) -> dict:
    """Import one dashboard module and compile it under ``cfg``; any failure names the
    module by its full import path and, for an error in the module's code, the file and
    line."""
    data = run_module(module_path, f"dashboard module {module_path}",
                      lambda module: to_dict(_dashboard(module_path, call_build(module.build, cfg))),
                      BuildError)
    if not data.get("uid"):
        raise BuildError(f"dashboard module {module_path}: the dashboard has no uid")
    return data


def build_all(cfg: Config, modules: Iterable[str] = MODULES) -> dict[str, dict]:
    """Compile every module under ``cfg``, keyed by output file name ``<uid>.json``; uids
    must be unique."""
    out: dict[str, dict] = {}
    owner: dict[str, str] = {}
    for module_path in modules:
        data = build_module(cfg, module_path)
        uid = data["uid"]
        if uid in owner:
            raise BuildError(f"dashboard module {module_path}: uid {uid!r} is already used by "
                             f"dashboard module {owner[uid]}")
        owner[uid] = module_path
        out[f"{uid}.json"] = data
    return out


def _generated_text(text: str) -> bool:
    try:
        return generated(json.loads(text))
    except ValueError:
        return False


#: Dashboard JSON in an output folder; a stale one is removed only if it carries the marker.
KIND = outputs.Kind(("*.json",), _generated_text)


def texts(dashboards: dict[str, dict]) -> dict[str, str]:
    """File name -> the committed JSON text of each dashboard."""
    return {name: render(data) for name, data in dashboards.items()}


def stale(out_dir: Path, names: Iterable[str]) -> list[str]:
    """Files in ``out_dir`` that plano-grafana wrote and that no dashboard in ``names``
    produces any more: what a build removes. Anything without the marker is left alone."""
    return outputs.stale(out_dir, names, KIND)


def write(out_dir: Path, dashboards: dict[str, dict]) -> Written:
    """Write ``dashboards`` into ``out_dir`` through the artefact pipeline
    (:mod:`~plano_grafana.build.outputs`): atomic, unchanged files untouched, this
    package's stale files removed, everything else left as it is."""
    return outputs.write(out_dir, texts(dashboards), KIND)


def drift(out_dir: Path, dashboards: dict[str, dict]) -> list[str]:
    """Unified diffs between ``out_dir`` and what a build would leave there; empty when up
    to date. Files a build would not touch (no marker, not produced) are not compared."""
    return outputs.drift(out_dir, texts(dashboards), KIND)
