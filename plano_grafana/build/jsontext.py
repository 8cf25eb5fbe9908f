"""The one JSON text form of a dashboard: what is committed, diffed and provisioned.

Sorted keys, 2-space indent, UTF-8 as is and a trailing newline, so the same dashboard
is always the same bytes and a change to it is a readable diff.
"""

from __future__ import annotations

import json


def render(data: dict) -> str:
    """Deterministic JSON text of one dashboard."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
