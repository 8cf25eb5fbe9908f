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

from tests.support import poll, process


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
        _require_marker()
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
        """Poll until ``expr`` returns data now (a readiness poll, not a fixed wait)."""
        poll.until(lambda: self.query(expr, time.time()), f"data for {expr}", timeout)

    def wait_for_window(self, targets: int, window: float, timeout: float = 120) -> float:
        """Poll until each of ``targets`` scrape targets has been scraped for ``window``
        seconds before a second ago (an ``up`` sample at least ``window`` + 1 s old), and
        return that instant: a ``rate(…[window])`` there reads a full window of samples."""
        self.wait_for(f"count(up offset {window + 1:g}s == 1) == {targets}", timeout)
        return time.time() - 1

    def wait_ingested(self, at: float, timeout: float = 60) -> None:
        """Poll until every target has a scrape later than ``at``: every sample up to ``at``
        is in the TSDB, so a query at ``at`` sees them all."""
        self.wait_for(f"min(timestamp(up)) > {at:.3f}", timeout)

    def wait_evaluations(self, count: int, after: float, interval: float,
                         timeout: float = 120) -> None:
        """Poll the rules API until every rule group has been evaluated ``count`` times
        since ``after`` (its last evaluation at least ``count`` intervals later)."""
        def evaluated() -> bool:
            groups = self.api("rules")["groups"]
            last = [_epoch(g["lastEvaluation"]) for g in groups]
            return bool(groups) and min(last) >= after + (count - 0.5) * interval

        poll.until(evaluated, f"rule groups evaluated {count} times", timeout)


def _epoch(rfc3339: str) -> float:
    """Prometheus's RFC 3339 timestamps (nanoseconds, ``Z`` or an offset) as epoch seconds."""
    import datetime
    import re

    text = re.sub(r"(\.\d{6})\d+", r"\1", rfc3339).replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(text).timestamp()


#: The pytest item being set up or run (tests/conftest.py sets it), None outside pytest.
RUNNING_TEST = None


def _require_marker() -> None:
    """``make test-fast`` deselects ``-m prometheus``: a test that starts a server without
    the marker would make the fast run slow, so it fails here, naming itself."""
    test = RUNNING_TEST
    if test is not None and test.get_closest_marker("prometheus") is None:
        raise RuntimeError(f"{test.nodeid} starts a Prometheus server: mark it "
                           "@pytest.mark.prometheus (make test-fast leaves those out)")


class QueryError(RuntimeError):
    pass
