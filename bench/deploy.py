"""Deploy N dashboards to the Grafana API test double: plano-grafana vs grafana-import.

Both tools run as a fresh process over the same N JSON files, against a fresh double
with the same per-request latency, three times: first deploy, no-op redeploy, redeploy
with one dashboard changed. Printed side by side: requests, writes and wall time, and
the ratios. grafana-import needs grafana-client < 5, so it lives in its own virtualenv
(bench/.data/venv-grafana-import), installed from PyPI on first run.

    .venv/bin/python -m bench.deploy [--count 200] [--latency 0.01] [--workers 8]

The double runs as its own process (``python -m tests.support.grafana_double``, as a
user would start it), so neither tool shares a CPU core or the GIL with it; its request
log and stored dashboards are read through its ``/_double/`` control endpoints. The
bench imports nothing from tests/.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from plano_grafana.build import compiler  # noqa: E402
from plano_grafana.deploy import drift  # noqa: E402
from plano_grafana.model.config import DEFAULT  # noqa: E402

TOKEN = "glsa_admin_token"
GI_VENV = REPO / "bench/.data/venv-grafana-import"

OURS = """
import json, sys
from pathlib import Path
from plano_grafana.deploy import grafana_api, sync
folder = Path(sys.argv[1])
dashboards = {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}
settings = grafana_api.Settings.from_env()
engine = sync.Engine(settings, grafana_api.connect(settings), workers=int(sys.argv[2]))
desired = sync.Desired(dashboards, folder_uid="", folder_title="General")
plan = engine.plan(desired)
engine.apply(plan, desired)
bad = [c for c in plan.changes if c.kind == "dashboard" and c.result not in
       ("created", "updated", "unchanged")]
sys.exit(1 if bad else 0)
"""


def grafana_import() -> Path:
    exe = GI_VENV / "bin/grafana-import"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(GI_VENV)], check=True)
        subprocess.run([str(GI_VENV / "bin/pip"), "install", "--quiet", "grafana-import==0.5.1"],
                       check=True)
    return exe


def make_dashboards(folder: Path, count: int) -> None:
    base = list(compiler.build_all(DEFAULT).values())
    for i in range(count):
        # "id": null as in an exported file; grafana-import fails to update files without it
        d = dict(base[i % len(base)], uid=f"bench-{i:04d}", title=f"Bench dashboard {i:04d}", id=None)
        (folder / f"bench-{i:04d}.json").write_text(compiler.render(d))


def change_one(folder: Path) -> None:
    path = sorted(folder.glob("*.json"))[0]
    data = json.loads(path.read_text())
    data["description"] = "changed for the benchmark"
    path.write_text(compiler.render(data))


class Double:
    """The Grafana API double as a separate server process."""

    def __init__(self, latency: float):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.grafana_double", "--port", str(port),
             "--latency", str(latency)], cwd=REPO, stdout=subprocess.PIPE, text=True)
        self.proc.stdout.readline()  # "Grafana API double at ..." once it listens

    def control(self, method: str, path: str):
        request = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def run(tool: str, folder: Path, double: Double, workers: int) -> dict:
    env = dict(os.environ, GRAFANA_URL=double.url, GRAFANA_TOKEN=TOKEN, PYTHONPATH=str(REPO))
    if tool == "plano-grafana":
        cmd = [sys.executable, "-c", OURS, str(folder), str(workers)]
    else:
        cmd = [str(grafana_import()), "import", "-u", double.url, "-i", str(folder), "-o", "-k",
               "-f", "General"]
    double.control("POST", "/_double/reset")
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{tool} failed: {result.stderr[-1000:]}")
    log = double.control("GET", "/_double/log")
    stored = double.control("GET", "/_double/dashboards")
    files = {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
    converged = set(stored) == set(files) and all(
        drift.normalise(stored[uid]) == drift.normalise(files[uid]) for uid in files)
    return {"seconds": elapsed, "requests": len(log),
            "writes": sum(1 for method, _, _ in log if method not in ("GET", "HEAD")),
            "converged": converged}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.01,
                        help="seconds the double spends per request (a real Grafana's work)")
    parser.add_argument("--workers", type=int, default=8, help="plano-grafana's --workers")
    args = parser.parse_args()
    grafana_import()
    results: dict[str, dict[str, dict]] = {}
    for tool in ("plano-grafana", "grafana-import"):
        double = Double(args.latency)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                make_dashboards(folder, args.count)
                results[tool] = {"first deploy": run(tool, folder, double, args.workers),
                                 "no-op redeploy": run(tool, folder, double, args.workers)}
                change_one(folder)
                results[tool]["one changed"] = run(tool, folder, double, args.workers)
        finally:
            double.stop()
    print(f"{args.count} dashboards, double latency {args.latency * 1000:g} ms/request, "
          f"plano-grafana workers {args.workers}\n")
    print(f"{'run':<16}{'tool':<16}{'requests':>9}{'writes':>8}{'seconds':>9}  converged")
    for phase in ("first deploy", "no-op redeploy", "one changed"):
        for tool in results:
            r = results[tool][phase]
            print(f"{phase:<16}{tool:<16}{r['requests']:>9}{r['writes']:>8}{r['seconds']:>9.2f}"
                  f"  {'yes' if r['converged'] else 'NO'}")
        ours, theirs = results["plano-grafana"][phase], results["grafana-import"][phase]
        print(f"{'':<16}{'ratio ours/theirs':<16}{ours['requests'] / max(theirs['requests'], 1):>9.2f}"
              f"{ours['writes'] / max(theirs['writes'], 1):>8.2f}"
              f"{ours['seconds'] / theirs['seconds']:>9.2f}\n")


if __name__ == "__main__":
    main()
