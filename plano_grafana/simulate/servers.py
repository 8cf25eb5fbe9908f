"""HTTP endpoints of a simulated Plano: Envoy's admin ``/stats?format=prometheus`` (and
plain ``/stats`` in Envoy's text format), brightstaff's ``/metrics``, and ``/truth`` with
what the simulator recorded."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from plano_grafana.simulate import envoy_text
from plano_grafana.simulate.simulator import Simulator
from plano_grafana.simulate.truth import routing_truth


def _handler(sim: Simulator, brightstaff_prefix: str = ""):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            params = parse_qs(url.query)
            if url.path == "/stats" and params.get("format") == ["prometheus"]:
                self._send(200, sim.envoy.render("envoy"), "text/plain; charset=UTF-8")
            elif url.path == "/stats":  # Envoy's own text format, as without format=prometheus
                self._send(200, envoy_text.render(sim.envoy), "text/plain; charset=UTF-8")
            elif url.path == "/metrics":
                self._send(200, sim.brightstaff.render("brightstaff", name_prefix=brightstaff_prefix),
                           "text/plain; version=0.0.4")
            elif url.path == "/truth":
                window = float(params.get("window", ["60"])[0])
                since = time.time() - window
                body = {name: {"count_rate": sim.truth.count_rate(name, since),
                               "p50": sim.truth.quantile(name, 0.5, since),
                               "p95": sim.truth.quantile(name, 0.95, since)}
                        for name in ("time_to_first_token", "request_latency",
                                     "input_sequence_length", "output_sequence_length")}
                body["routing"] = routing_truth(sim.truth, since, time.time())
                self._send(200, json.dumps(body, indent=2), "application/json")
            elif url.path in ("/ready", "/"):
                self._send(200, "LIVE\n", "text/plain")
            else:
                self._send(404, "not found\n", "text/plain")

        def _send(self, status: int, body: str, ctype: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    return Handler


class ListenError(OSError):
    """A port could not be bound; the message names the address, port and endpoint."""


def _listen(host: str, port: int, handler, what: str) -> ThreadingHTTPServer:
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise ListenError(exc.errno, f"cannot listen on {host}:{port} for {what}: "
                                     f"{exc.strerror or exc}") from exc


class Servers:
    """The Envoy admin and brightstaff HTTP endpoints of one simulator."""

    def __init__(self, sim: Simulator, host: str = "127.0.0.1", envoy_port: int = 19901,
                 brightstaff_port: int = 9092, brightstaff_prefix: str = ""):
        """``brightstaff_prefix`` renames brightstaff's families as an OpenTelemetry
        collector or a relabelling rename would (``simulate --metric-prefix``)."""
        handler = _handler(sim, brightstaff_prefix)
        self.envoy = _listen(host, envoy_port, handler, "Envoy admin")
        try:
            self.brightstaff = _listen(host, brightstaff_port, handler, "brightstaff")
        except OSError:
            self.envoy.server_close()
            raise
        # stop() returns at serve_forever's next poll (0.5 s by default, per server)
        self._threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05},
                                          daemon=True) for s in (self.envoy, self.brightstaff)]

    @property
    def envoy_address(self) -> str:
        host, port = self.envoy.server_address[:2]
        return f"{host}:{port}"

    @property
    def brightstaff_address(self) -> str:
        host, port = self.brightstaff.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> Servers:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        for s in (self.envoy, self.brightstaff):
            s.shutdown()
            s.server_close()
