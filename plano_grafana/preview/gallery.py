"""What a preview picture depends on, as a hash, so a stale picture is caught like stale JSON.

The data behind a preview is random (the simulator), so pixels can never be compared.
What can be compared is what the picture is *of*: the dashboard's title, layout,
panel kinds, titles, units, thresholds, queries and legends, variables and time range.
:func:`fingerprint` hashes exactly that (descriptions, ids, links and datasource
references do not change a picture and are left out), and each preview run writes
``previews.json`` next to the images: ``{uid: {"file": ..., "fingerprint": ...}}``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

MANIFEST = "previews.json"
_KEPT = ("title", "panels", "templating", "time")
_IGNORED = frozenset({"description", "id", "links", "datasource", "editable", "hideTimeOverride",
                      "editorMode", "intervalFactor", "tooltip", "version", "pluginVersion"})


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _IGNORED}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def fingerprint(dashboard: dict) -> str:
    """sha256 of the parts of a dashboard that change its preview."""
    visual = _strip({k: dashboard.get(k) for k in _KEPT})
    text = json.dumps(visual, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def read_manifest(folder: Path) -> dict[str, dict]:
    path = folder / MANIFEST
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def manifest_text(entries: dict[str, dict]) -> str:
    return json.dumps(entries, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
