"""Compile dashboard modules to deterministic Grafana JSON.

:func:`to_dict` is the only place that turns a grafanalib object into a plain dict and
adapts it to current Grafana (schema version, datasource references, no legacy keys);
another builder (the Grafana Foundation SDK, say) would replace just that function.
Output is byte-identical on every run: sorted keys, 2-space indent, a trailing newline
and no timestamps. Writes happen only after every dashboard has built, and each file is
replaced atomically, so an error never leaves ``dashboards/`` half-written.
"""

from __future__ import annotations

import difflib
import importlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from grafanalib._gen import DashboardEncoder

from plano_grafana.dashboards import MODULES
from plano_grafana.errors import PlanoGrafanaError
from plano_grafana.jsontext import render
from plano_grafana.panels import DATASOURCE

__all__ = ["BuildError", "build_all", "build_module", "drift", "render", "to_dict", "write"]

#: Grafana 10.4/11.x schema; grafanalib defaults to 12, which triggers UI migrations.
SCHEMA_VERSION = 39
#: Keys grafanalib emits for Grafana < 5 that current Grafana ignores or migrates.
_LEGACY_DASHBOARD_KEYS = ("__inputs", "rows", "style", "hideControls", "sharedCrosshair",
                          "id", "version", "gnetId")
_LEGACY_PANEL_KEYS = ("span", "minSpan", "height", "error", "cacheTimeout", "repeat",
                      "repeatDirection", "maxPerRow", "timeFrom", "timeShift", "interval",
                      "columns", "fontSize", "mappings", "maxDataPoints")
_LEGACY_TARGET_KEYS = ("target", "metric", "step", "query", "hide", "interval")


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
    return data


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
    options = panel.get("options", {})
    options.pop("fieldOptions", None)  # grafanalib's Grafana 6 bar gauge options
    for target in panel.get("targets", []):
        for key in _LEGACY_TARGET_KEYS:
            target.pop(key, None)
        target["datasource"] = dict(DATASOURCE)
        target["editorMode"] = "code"
        target["range"] = not target.get("instant", False)


def build_module(module_path: str) -> dict:
    """Import one dashboard module and compile it; any failure names the module."""
    short = module_path.rsplit(".", 1)[-1]
    try:
        module = importlib.import_module(module_path)
        data = to_dict(module.build())
    except PlanoGrafanaError:
        raise
    except Exception as exc:  # a dashboard module is user code: report, don't trace
        raise BuildError(f"dashboard module {short}: {type(exc).__name__}: {exc}") from exc
    if not data.get("uid"):
        raise BuildError(f"dashboard module {short}: the dashboard has no uid")
    return data


def build_all(modules: Iterable[str] = MODULES) -> dict[str, dict]:
    """Compile every module, keyed by output file name ``<uid>.json``; uids must be unique."""
    out: dict[str, dict] = {}
    owner: dict[str, str] = {}
    for module_path in modules:
        data = build_module(module_path)
        uid = data["uid"]
        short = module_path.rsplit(".", 1)[-1]
        if uid in owner:
            raise BuildError(f"dashboard module {short}: uid {uid!r} is already used by "
                             f"dashboard module {owner[uid]}")
        owner[uid] = short
        out[f"{uid}.json"] = data
    return out


def write(out_dir: Path, dashboards: dict[str, dict]) -> list[str]:
    """Replace ``out_dir``'s JSON with ``dashboards``; returns the files that changed.

    All texts are rendered before anything is written; each file is written to a
    temporary file in the same folder and renamed over the old one. JSON files no
    dashboard produces any more are removed (the folder holds compiled output only).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = {name: render(data) for name, data in dashboards.items()}
    changed = []
    for name, text in sorted(texts.items()):
        path = out_dir / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
        changed.append(name)
    for stale in sorted(out_dir.glob("*.json")):
        if stale.name not in texts:
            stale.unlink()
            changed.append(stale.name)
    return changed


def drift(out_dir: Path, dashboards: dict[str, dict]) -> list[str]:
    """Unified diffs between ``out_dir`` and a fresh build; empty when up to date."""
    diffs = []
    texts = {name: render(data) for name, data in dashboards.items()}
    on_disk = {p.name for p in out_dir.glob("*.json")} if out_dir.is_dir() else set()
    for name in sorted(set(texts) | on_disk):
        path = out_dir / name
        old = path.read_text(encoding="utf-8") if name in on_disk else ""
        new = texts.get(name, "")
        if old != new:
            diffs.append("".join(difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True),
                fromfile=f"{path} (committed)", tofile=f"{path} (fresh build)")))
    return diffs
