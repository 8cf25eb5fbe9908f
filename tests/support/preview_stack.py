"""``make preview``: the simulator and a real Prometheus, a preview of every dashboard, then stop.

    .venv/bin/python -m tests.support.preview_stack [--out previews] [--wait 60] [-- PREVIEW ARGS]

Starts the same simulator and Prometheus (scrape every second) as the end-to-end tests,
waits until ``--wait`` seconds of data are stored, runs ``plano-grafana preview`` over
that span, and stops both whatever happens. Extra arguments go to ``preview`` (for
example ``--dashboard plano-llm-requests``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time

from plano_grafana import prometheus_config
from plano_grafana.simulator import Profile, Servers, Simulator
from tests.support.prometheus import Prometheus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="previews")
    parser.add_argument("--wait", type=float, default=60, help="seconds of data to collect first")
    parser.add_argument("--rate", type=float, default=60, help="simulated client requests per second")
    parser.add_argument("extra", nargs=argparse.REMAINDER, help="arguments for 'plano-grafana preview'")
    args = parser.parse_args(argv)
    binary = os.environ.get("PROMETHEUS_BIN") or shutil.which("prometheus")
    if not binary:
        print("preview_stack: prometheus not found: install Debian's 'prometheus' package", file=sys.stderr)
        return 1
    sim = Simulator(Profile(rate=args.rate, seed=7)).start()
    servers = Servers(sim, envoy_port=0, brightstaff_port=0).start()
    cfg = prometheus_config.config([servers.envoy_address], [servers.brightstaff_address],
                                   scrape_interval="1s", scrape_timeout="1s")
    prom = Prometheus(binary, cfg)
    try:
        prom.start()
        prom.wait_for("up{job='brightstaff'} == 1")
        began = time.time()
        print(f"preview_stack: collecting {args.wait:g} s of simulated traffic ...", flush=True)
        time.sleep(max(args.wait - (time.time() - began), 0))
        extra = [a for a in args.extra if a != "--"]
        command = [sys.executable, "-m", "plano_grafana", "preview", "--prometheus-url", prom.url,
                   "--out", args.out, "--range", f"{int(args.wait)}s", "--scrape-interval", "1s", *extra]
        return subprocess.run(command, check=False).returncode
    finally:
        prom.stop()
        servers.stop()
        sim.stop()


if __name__ == "__main__":
    sys.exit(main())
