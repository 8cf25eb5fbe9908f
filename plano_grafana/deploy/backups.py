"""Backups: Grafana's copy of a dashboard is saved before it is overwritten or deleted.

One ``<UTC timestamp>/`` folder per apply under the backup directory, created on the
first save; no copy, no write (the caller stops that object when a save fails).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from plano_grafana.build.jsontext import render
from plano_grafana.deploy.grafana_api import GrafanaError


class Backups:
    """Saves copies under ``root`` (None: backups are off and :meth:`save` does nothing)."""

    def __init__(self, root: Path | None):
        self.root = root
        self.path: Path | None = None  # this apply's folder, once made
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.root is not None

    def save(self, uid: str, body: dict) -> None:
        if self.root is None:
            return
        path = self._folder() / f"{uid}.json"
        try:
            path.write_text(render(body), encoding="utf-8")
        except OSError as exc:
            raise GrafanaError(f"back up dashboard {uid} to {path}: {exc.strerror}; "
                               "not written") from None

    def _folder(self) -> Path:
        with self._lock:
            if self.path is None:
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                path, n = self.root / stamp, 1
                while path.exists():
                    n += 1
                    path = self.root / f"{stamp}-{n}"
                try:
                    path.mkdir(parents=True)
                except OSError as exc:
                    raise GrafanaError(f"create backup folder {path}: {exc.strerror}; "
                                       "nothing overwritten") from None
                self.path = path
            return self.path
