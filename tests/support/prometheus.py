"""Start and stop a real Prometheus for tests and benchmarks, and query its HTTP API."""

from __future__ import annotations

import json
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

from tests.support import process


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus:
    """A Prometheus server on 127.0.0.1 with its own TSDB folder, ended by PID."""

    def __init__(self, binary: str, config: dict | None = None, *, tsdb: Path | None = None,
                 extra_args: tuple[str, ...] = ()):
        self.binary = binary
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._tmp = tempfile.TemporaryDirectory(prefix="plano-prom-")
        self.dir = Path(self._tmp.name)
        self.config_path = self.dir / "prometheus.yml"
        self.config_path.write_text(yaml.safe_dump(config or {"scrape_configs": []}))
        self.tsdb = tsdb or self.dir / "data"
        self.log = self.dir / "prometheus.log"
        self.extra_args = extra_args
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> Prometheus:
        self.proc = process.start(
            "prometheus",
            [self.binary, f"--config.file={self.config_path}", f"--storage.tsdb.path={self.tsdb}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn", *self.extra_args],
            self.log, f"{self.url}/-/ready", timeout)
        return self

    def stop(self) -> None:
        process.stop(self.proc)
        self._tmp.cleanup()

    def api(self, path: str, **params) -> dict:
        """GET /api/v1/<path>; returns ``data``; raises with Prometheus's error text."""
        query = urllib.parse.urlencode(params, doseq=True)
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{query}", timeout=60) as r:
                body = json.load(r)
        except urllib.error.HTTPError as exc:
            body = json.load(exc)
        if body.get("status") != "success":
            raise QueryError(body.get("error", str(body)))
        return body["data"]

    def query(self, expr: str, at: float, **extra) -> list[dict]:
        return self.api("query", query=expr, time=f"{at:.3f}", **extra)["result"]

    def wait_for(self, expr: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.query(expr, time.time()):
                return
            time.sleep(0.5)
        raise RuntimeError(f"no data for {expr} within {timeout}s")


class QueryError(RuntimeError):
    pass
