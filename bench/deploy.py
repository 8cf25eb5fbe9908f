"""Deploy N dashboards to the Grafana API test double: plano-grafana vs grafana-import.

Each tool runs as a fresh process over the same N JSON files, against a fresh double
with the same per-request latency, three times: first deploy, no-op redeploy, redeploy
with one dashboard changed. plano-grafana runs on both API paths (``--api``): classic
``/api`` against the double playing 11.3, and ``/apis`` against it playing 13.2.1.
Printed side by side: requests, writes and wall time, the ratios to grafana-import, and
the interpreter start plus imports that every plano-grafana run pays. "cpu s" is the
tool process's own CPU time (user + system), which a busy machine disturbs less than the
wall time. grafana-import
needs grafana-client < 5, so it lives in its own virtualenv
(bench/.data/venv-grafana-import), installed from PyPI on first run.

    .venv/bin/python -m bench.deploy [--count 200] [--latency 0.01] [--workers 8] [--api both]

With ``--latency 0`` the times are the client overhead (the double answers at once).

The double runs as its own process (``python -m tests.support.grafana_double``, as a
user would start it), so neither tool shares a CPU core or the GIL with it; its request
log and stored dashboards are read through its ``/_double/`` control endpoints. The
bench imports nothing from tests/.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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

IMPORTS = "from plano_grafana.deploy import grafana_api, sync"
OURS = """
import json, sys
from pathlib import Path
from plano_grafana.deploy import grafana_api, sync
folder = Path(sys.argv[1])
dashboards = {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}
settings = grafana_api.Settings.from_env()
path = {} if sys.argv[3] == "classic" else {"api_path": sys.argv[3]}  # runs on older trees too
engine = sync.Engine(settings, grafana_api.connect(settings), workers=int(sys.argv[2]), **path)
desired = sync.Desired(dashboards, folder_uid="", folder_title="General")
plan = engine.plan(desired)
plan = engine.apply(plan, desired) or plan  # before the split, apply changed the plan in place
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

    def __init__(self, latency: float, version: str = "11.3.0"):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.grafana_double", "--port", str(port),
             "--latency", str(latency), "--version", version,
             "--era", "E3" if version.startswith("13") else "E2"],
            cwd=REPO, stdout=subprocess.PIPE, text=True)
        self.proc.stdout.readline()  # "Grafana API double at ..." once it listens

    def control(self, method: str, path: str):
        request = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


#: tool name -> (API path, Grafana version the double plays)
OUR_TOOLS = {"plano-grafana classic": ("classic", "11.3.0"),
             "plano-grafana apis": ("apis", "13.2.1")}


def run(tool: str, folder: Path, double: Double, workers: int) -> dict:
    env = dict(os.environ, GRAFANA_URL=double.url, GRAFANA_TOKEN=TOKEN, PYTHONPATH=str(REPO))
    if tool in OUR_TOOLS:
        cmd = [sys.executable, "-c", OURS, str(folder), str(workers), OUR_TOOLS[tool][0]]
    else:
        cmd = [str(grafana_import()), "import", "-u", double.url, "-i", str(folder), "-o", "-k",
               "-f", "General"]
    double.control("POST", "/_double/reset")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the tool's process only (waited for)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"{tool} failed: {result.stderr[-1000:]}")
    log = double.control("GET", "/_double/log")
    stored = double.control("GET", "/_double/dashboards")
    files = {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
    converged = set(stored) == set(files) and all(
        drift.normalise(stored[uid]) == drift.normalise(files[uid]) for uid in files)
    return {"seconds": elapsed, "cpu": cpu, "requests": len(log),
            "writes": sum(1 for method, _, _ in log if method not in ("GET", "HEAD")),
            "converged": converged}


def startup_seconds(runs: int = 5) -> float:
    """Interpreter start plus the deploy's imports: the best of ``runs`` fresh processes."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", IMPORTS], check=True, cwd=REPO,
                       env=dict(os.environ, PYTHONPATH=str(REPO)))
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.01,
                        help="seconds the double spends per request (a real Grafana's work)")
    parser.add_argument("--workers", type=int, default=8, help="plano-grafana's --workers")
    parser.add_argument("--api", choices=("classic", "apis", "both"), default="both",
                        help="plano-grafana's API path(s)")
    args = parser.parse_args()
    grafana_import()
    ours = [t for t, (api, _) in OUR_TOOLS.items() if args.api in (api, "both")]
    results: dict[str, dict[str, dict]] = {}
    for tool in (*ours, "grafana-import"):
        double = Double(args.latency, OUR_TOOLS.get(tool, ("", "11.3.0"))[1])
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
    print(f"{'run':<16}{'tool':<24}{'requests':>9}{'writes':>8}{'seconds':>9}{'cpu s':>7}"
          "  converged")
    for phase in ("first deploy", "no-op redeploy", "one changed"):
        for tool in results:
            r = results[tool][phase]
            print(f"{phase:<16}{tool:<24}{r['requests']:>9}{r['writes']:>8}{r['seconds']:>9.2f}"
                  f"{r['cpu']:>7.2f}  {'yes' if r['converged'] else 'NO'}")
        theirs = results["grafana-import"][phase]
        for tool in ours:
            mine = results[tool][phase]
            print(f"{'':<16}{tool.split()[-1] + ' / grafana-import':<24}"
                  f"{mine['requests'] / max(theirs['requests'], 1):>9.2f}"
                  f"{mine['writes'] / max(theirs['writes'], 1):>8.2f}"
                  f"{mine['seconds'] / theirs['seconds']:>9.2f}{mine['cpu'] / theirs['cpu']:>7.2f}")
        print()
    print(f"interpreter start + deploy imports (best of 5): {startup_seconds():.2f} s")


if __name__ == "__main__":
    main()
