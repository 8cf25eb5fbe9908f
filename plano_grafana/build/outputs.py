"""Writing generated files: atomically, and only when their text changed.

The dashboards (``dashboards/*.json``) and the rules (``rules/*.yaml``) are committed
output; both are rendered completely before anything is written, then each file goes to
a temporary file in the same folder and is renamed over the old one, so an interrupted
build never leaves half a file, and an unchanged file keeps its modification time.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def replace_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it already holds exactly that; True if written."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def diffs(out_dir: Path, texts: dict[str, str], also: Iterable[str] = ()) -> list[str]:
    """Unified diffs between the files in ``out_dir`` and the ``texts`` a build would write
    there; ``also`` names files on disk the build would remove (compared with nothing)."""
    out = []
    for name in sorted({*texts, *also}):
        path = out_dir / name
        old = path.read_text(encoding="utf-8") if path.is_file() else ""
        new = texts.get(name, "")
        if old != new:
            out.append("".join(difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True),
                fromfile=f"{path} (on disk)", tofile=f"{path} (fresh build)")))
    return out
