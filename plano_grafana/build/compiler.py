"""Compile dashboard modules to deterministic Grafana JSON.

:func:`to_dict` is the only place that turns a grafanalib object into a plain dict and
adapts it to current Grafana (schema version, datasource references, no legacy keys);
another builder (the Grafana Foundation SDK, say) would replace just that function.
It emits no ``null`` that Grafana's dashboard schema forbids (Grafana's own UI save
strips them too, see docs/grafana-api.md) and none of grafanalib's Angular-era keys.
Output is byte-identical on every run: sorted keys, 2-space indent, a trailing newline
and no timestamps. Writes happen only after every dashboard has built, and each file is
replaced atomically, so an error never leaves ``dashboards/`` half-written.

Every compiled dashboard carries ``"planoGrafana": {"generatedBy": "plano-grafana"}``.
That marker is how :func:`write` knows a stale file in the output folder is its own to
remove (a hand-placed ``notes.json`` is never touched). The sync engine ignores the key
when comparing and replaces it with its deploy marker (``managedBy``) when it saves, so a
file imported into Grafana by hand is not mistaken for one ``deploy`` saved.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import sysconfig
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

import attr
from grafanalib._gen import DashboardEncoder

from plano_grafana.build.dashboards import MODULES
from plano_grafana.build.jsontext import render
from plano_grafana.build.outputs import diffs, replace_if_changed
from plano_grafana.build.panels import DATASOURCE
from plano_grafana.errors import PlanoGrafanaError
from plano_grafana.model.config import OWNER_TAG, Config

__all__ = ["MARKER", "BuildError", "Written", "build_all", "build_module", "drift", "generated",
           "render", "stale", "to_dict", "write"]

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


class BuildError(PlanoGrafanaError):
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


def build_module(cfg: Config, module_path: str) -> dict:
    """Import one dashboard module and compile it under ``cfg``; any failure names the
    module by its full import path and, for an error in the module's code, the file and
    line."""
    try:
        spec = importlib.util.find_spec(module_path)
    except (ImportError, ValueError) as exc:
        raise BuildError(f"dashboard module {module_path}: cannot import it: {exc}") from None
    except Exception as exc:  # its parent package failed while being imported
        raise BuildError(f"dashboard module {module_path}: {type(exc).__name__}: {exc}"
                         f"{_where(exc, None)}") from None
    if spec is None:
        raise BuildError(f"dashboard module {module_path}: no such module (is its folder on "
                         "the Python path, e.g. the current directory?)")
    try:
        module = importlib.import_module(module_path)
        dashboard = call_build(module.build, cfg)
        if not hasattr(dashboard, "to_json_data"):
            raise BuildError(f"dashboard module {module_path}: build() returned "
                             f"{type(dashboard).__name__}, not a grafanalib Dashboard "
                             "(end build(cfg) with 'return dashboard(...)' or a "
                             "grafanalib Dashboard)")
        data = to_dict(dashboard)
    except PlanoGrafanaError:
        raise
    except Exception as exc:  # a dashboard module is user code: report, don't trace
        raise BuildError(f"dashboard module {module_path}: {type(exc).__name__}: {exc}"
                         f"{_where(exc, spec.origin)}") from None
    if not data.get("uid"):
        raise BuildError(f"dashboard module {module_path}: the dashboard has no uid")
    return data


_LIBRARY_DIRS = tuple({os.path.realpath(sysconfig.get_paths()[k]) + os.sep
                       for k in ("stdlib", "platstdlib", "purelib", "platlib")})


def _where(exc: BaseException, origin: str | None) -> str:
    """`` (at file:line)`` of the line in user code that raised ``exc``, or "".

    The module's own file wins (the line its author wrote); then any other frame outside
    the standard library, site-packages and this module (a helper of theirs); a syntax
    error names its own position.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if origin and os.path.realpath(f.filename) == os.path.realpath(origin)]
    user = [f for f in frames if not os.path.realpath(f.filename).startswith(_LIBRARY_DIRS)
            and os.path.realpath(f.filename) != os.path.realpath(__file__)
            and not f.filename.startswith("<")]
    if isinstance(exc, SyntaxError) and exc.filename:
        filename, line = exc.filename, exc.lineno
    elif own or user:
        frame = (own or user)[-1]
        filename, line = frame.filename, frame.lineno
    else:
        return ""
    here = os.path.realpath(os.getcwd()) + os.sep
    if os.path.realpath(filename).startswith(here):
        filename = os.path.relpath(os.path.realpath(filename), here)
    return f" (at {filename}:{line})"


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


@attr.s(frozen=True)
class Written:
    """What :func:`write` changed in the output folder (file names, sorted)."""

    written: list[str] = attr.ib(factory=list)
    removed: list[str] = attr.ib(factory=list)


def _ours(path: Path) -> bool:
    """A JSON file in the output folder that plano-grafana wrote (it carries the marker)."""
    try:
        return generated(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return False


def stale(out_dir: Path, names: Iterable[str]) -> list[str]:
    """Files in ``out_dir`` that plano-grafana wrote and that no dashboard in ``names``
    produces any more: what a build removes. Anything without the marker is left alone."""
    if not out_dir.is_dir():
        return []
    keep = set(names)
    return sorted(p.name for p in out_dir.glob("*.json") if p.name not in keep and _ours(p))


def write(out_dir: Path, dashboards: dict[str, dict]) -> Written:
    """Write ``dashboards`` into ``out_dir`` and remove the files this package wrote that
    no dashboard produces any more; other files there are left as they are.

    All texts are rendered before anything is written; each file is written to a
    temporary file in the same folder and renamed over the old one, and files already up
    to date are not touched.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = {name: render(data) for name, data in dashboards.items()}
    result = Written()
    for name, text in sorted(texts.items()):
        if replace_if_changed(out_dir / name, text):
            result.written.append(name)
    for name in stale(out_dir, texts):
        (out_dir / name).unlink()
        result.removed.append(name)
    return result


def drift(out_dir: Path, dashboards: dict[str, dict]) -> list[str]:
    """Unified diffs between ``out_dir`` and what a build would leave there; empty when up
    to date. Files a build would not touch (no marker, not produced) are not compared."""
    texts = {name: render(data) for name, data in dashboards.items()}
    return diffs(out_dir, texts, stale(out_dir, texts))
