"""``make preview``: the simulator and a real Prometheus, a preview of every dashboard, then stop.

    .venv/bin/python -m tests.support.preview_stack [--out previews] [--wait 60] [-- PREVIEW ARGS]

Starts the end-to-end tests' stack (:class:`tests.support.stack.Stack`: the simulator
scraped every second by Debian's Prometheus, the committed rules/ loaded), lets ``--wait``
seconds of traffic accumulate, runs ``plano-grafana preview`` over exactly that span, and stops both
whatever happens. Extra arguments go to ``preview`` (``--dashboard UID``, ``--config``).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

from plano_grafana.simulate.profiles import Profile
from tests.support.stack import Stack


def countdown(until: float, *, every: float = 10.0, out: TextIO | None = None) -> None:
    """Wait until ``until`` (``time.time()``), saying how long is left: on a terminal one
    line rewritten each second, elsewhere (CI logs) a line every ``every`` seconds."""
    out = out or sys.stdout
    live = out.isatty()
    step = 1.0 if live else every
    while (left := until - time.time()) > 0:
        text = f"preview_stack: {math.ceil(left):d} s of traffic left to collect"
        out.write(f"\r{text}   " if live else f"{text}\n")
        out.flush()
        time.sleep(min(step, left))
    out.write("\rpreview_stack: traffic collected, drawing the dashboards ...\n" if live
              else "preview_stack: traffic collected, drawing the dashboards ...\n")
    out.flush()


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
    print(f"preview_stack: simulator + Prometheus, collecting {args.wait:g} s of traffic ...", flush=True)
    began = time.time()
    # the committed rules: the spend dashboard multiplies tokens by the price rules' series
    rules = sorted(str(p) for p in (Path(__file__).resolve().parents[2] / "rules").glob("*.yaml"))
    stack = Stack(binary, profiles=[Profile(rate=args.rate, seed=7)],
                  rule_files=rules).start()
    try:
        countdown(began + args.wait)
        extra = [a for a in args.extra if a != "--"]
        command = [sys.executable, "-m", "plano_grafana", "preview", "--prometheus-url", stack.prom.url,
                   "--out", args.out, "--range", f"{int(args.wait)}s", "--scrape-interval", "1s", *extra]
        return subprocess.run(command, check=False).returncode
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
