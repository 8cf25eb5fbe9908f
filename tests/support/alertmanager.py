"""Start and stop a real Alertmanager (Debian's ``prometheus-alertmanager``) for tests, and
a webhook receiver that records the notifications it routes.

Alertmanager listens on 127.0.0.1 only, with clustering off (``--cluster.listen-address=``,
otherwise it binds :9094 on every interface), and groups and sends within a second so a
test's bounded wait stays short. Its single route sends everything to the receiver.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from tests.support import process
from tests.support.prometheus import free_port

BINARIES = ("prometheus-alertmanager", "alertmanager")


def find_binary() -> str | None:
    for name in BINARIES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Webhook:
    """An HTTP server on 127.0.0.1 that keeps every Alertmanager notification (JSON)."""

    def __init__(self):
        self.notifications: list[dict] = []
        self._cond = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer._cond:
                    outer.notifications.append(json.loads(body))
                    outer._cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def start(self) -> Webhook:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, predicate, timeout: float) -> dict | None:
        """The first alert (from any notification) for which ``predicate`` holds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for note in self.notifications:
                    for alert in note.get("alerts", []):
                        if predicate(alert):
                            return alert
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def alerts(self) -> list[dict]:
        with self._cond:
            return [a for n in self.notifications for a in n.get("alerts", [])]


class Alertmanager:
    """One Alertmanager routing every alert to ``webhook_url`` (or running ``config``, a
    whole Alertmanager config); ended by PID."""

    def __init__(self, binary: str, webhook_url: str, config: dict | None = None):
        self.binary = binary
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self._tmp = tempfile.TemporaryDirectory(prefix="plano-am-")
        self.dir = Path(self._tmp.name)
        self.config_path = self.dir / "alertmanager.yml"
        self.config_path.write_text(yaml.safe_dump(config or {
            "route": {"receiver": "test", "group_by": ["alertname", "provider", "severity"],
                      "group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"},
            "receivers": [{"name": "test", "webhook_configs": [
                {"url": webhook_url, "send_resolved": False}]}],
        }))
        self.log = self.dir / "alertmanager.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> Alertmanager:
        self.proc = process.start(
            "alertmanager",
            [self.binary, f"--config.file={self.config_path}", f"--storage.path={self.dir / 'data'}",
             f"--web.listen-address={self.address}", "--cluster.listen-address=", "--log.level=warn"],
            self.log, f"http://{self.address}/-/ready", timeout)
        return self

    def stop(self) -> None:
        process.stop(self.proc)
        self._tmp.cleanup()
