"""Prometheus cost of loading each dashboard, side by side with Plano's shipped one.

Builds a realistic TSDB: the simulator's traffic for one Plano instance with N
providers, stepped over H hours at one sample per S seconds, replicated over M instances
(Envoy job ``plano`` and brightstaff job ``brightstaff``), written as OpenMetrics and
backfilled with ``promtool tsdb create-blocks-from openmetrics``. A Prometheus then
serves it, and every target of every panel is run as Grafana would over the whole
range, with ``stats=all``: evaluation time and samples touched. The same is done for
Plano's shipped dashboard, ``bench/data/plano-envoy-overview.json`` (a copy of
katanemo/plano ``demos/shared/grafana/dashboards/envoy_overview.json`` at c3591bcb,
Apache-2.0, the one behind Plano's docs screenshots); per-panel costs and
per-dashboard ratios are printed from the same run.

    .venv/bin/python -m bench.prometheus_cost [--instances 50 --providers 10 --hours 24 --step 300]
        [--ranges 24,1] [--keep bench/.data/tsdb]

Template variables are resolved through Prometheus as Grafana resolves them with "All"
selected (so ``$cluster`` excludes Plano's internal clusters). ``--keep`` keeps the TSDB
and reuses it on the next run with the same folder.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from plano_grafana import compiler  # noqa: E402
from plano_grafana.catalogue import Kind  # noqa: E402
from plano_grafana.expand import expand  # noqa: E402
from plano_grafana.exposition import fmt_number  # noqa: E402
from plano_grafana.lint import query_panels  # noqa: E402
from plano_grafana.simulator import Profile, Provider, Simulator  # noqa: E402
from tests.support.prometheus import Prometheus  # noqa: E402
from tests.support.proof import Context, resolve_variables  # noqa: E402

SHIPPED = REPO / "bench/data/plano-envoy-overview.json"
PROVIDERS = ("openai", "anthropic", "gemini", "groq", "mistral", "deepseek", "xai",
             "together_ai", "moonshotai", "zhipu", "digitalocean", "xiaomi")


def profile(providers: int, rate: float) -> Profile:
    names = [PROVIDERS[i % len(PROVIDERS)] + ("" if i < len(PROVIDERS) else str(i))
             for i in range(providers)]
    return Profile(rate=rate, seed=3, providers=tuple(
        Provider(n, n, (f"{n}-large", f"{n}-small"), 1.0, p_5xx=0.01 + 0.005 * (i % 4),
                 p_429=0.01 * (i % 3), ttft_ms_median=300 + 100 * (i % 7),
                 ms_per_token_median=8 + 3 * (i % 5)) for i, n in enumerate(names)))


def history(sim: Simulator, steps: int, step: float) -> dict[tuple, list[float]]:
    """(job-kind, series name, labels) -> one value per step, for one instance."""
    out: dict[tuple, list[float]] = {}
    for i in range(steps):
        sim.step(step)
        for kind, registry in (("envoy", sim.envoy), ("brightstaff", sim.brightstaff)):
            for name, series in registry.snapshot().items():
                metric = registry.metrics[name]
                for labels, value in series.items():
                    if metric.kind is not Kind.HISTOGRAM:
                        samples = [(name, labels, value)]
                    else:
                        cumulative, count, total = value
                        samples = [(f"{name}_bucket", (*labels, ("le", fmt_number(b))), v)
                                   for b, v in zip(metric.buckets, cumulative, strict=True)]
                        samples += [(f"{name}_bucket", (*labels, ("le", "+Inf")), count),
                                    (f"{name}_sum", labels, total), (f"{name}_count", labels, count)]
                    for sname, slabels, v in samples:
                        out.setdefault((kind, sname, slabels), [math.nan] * i).append(v)
    return out


def write_openmetrics(path: Path, hist: dict, instances: int, start: int, step: int) -> int:
    """Every series name as its own 'unknown' family (names kept exactly as Plano's)."""
    by_name: dict[str, list] = {}
    for (kind, name, labels), values in hist.items():
        by_name.setdefault(name, []).append((kind, labels, values))
    lines = 0
    with open(path, "w") as f:
        for name in sorted(by_name):
            f.write(f"# TYPE {name} unknown\n")
            for n in range(instances):
                for kind, labels, values in by_name[name]:
                    job, port = ("plano", 19901) if kind == "envoy" else ("brightstaff", 9092)
                    tags = ",".join([f'job="{job}"', f'instance="plano-{n:02d}:{port}"',
                                     *(f'{k}="{v}"' for k, v in labels)])
                    chunk = [f"{name}{{{tags}}} {fmt_number(v)} {start + i * step}\n"
                             for i, v in enumerate(values) if not math.isnan(v)]
                    f.writelines(chunk)
                    lines += len(chunk)
        f.write("# EOF\n")
    return lines


def targets(dashboard: dict) -> list[tuple[str, str, dict]]:
    return [(p["title"], t.get("refId", "A"), t) for p in query_panels(dashboard)
            for t in p.get("targets", []) if t.get("expr")]


def cost(prom: Prometheus, expr: str, start: float, end: float, step: int, instant: bool) -> dict:
    params = {"query": expr, "stats": "all"}
    if instant:
        data = prom.api("query", time=f"{end:.0f}", **params)
    else:
        data = prom.api("query_range", start=f"{start:.0f}", end=f"{end:.0f}", step=str(step), **params)
    stats = data.get("stats", {})
    return {"seconds": stats.get("timings", {}).get("evalTotalTime", 0.0),
            "samples": stats.get("samples", {}).get("totalQueryableSamples", 0),
            "series": len(data["result"])}


def measure(prom, dashboard, variables, start, end, step, rate_interval, range_) -> list[dict]:
    rows = []
    for title, ref, target in targets(dashboard):
        expr = expand(target["expr"], variables, rate_interval=rate_interval, range_=range_,
                      interval=f"{step}s")
        best = None
        for _ in range(3):  # best of three: the machine is shared and noisy
            c = cost(prom, expr, start, end, step, bool(target.get("instant")))
            best = c if best is None or c["seconds"] < best["seconds"] else best
        rows.append({"panel": f"{title} [{ref}]", **best})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=50)
    ap.add_argument("--providers", type=int, default=10)
    ap.add_argument("--hours", type=float, default=24)
    ap.add_argument("--step", type=int, default=300, help="seconds between backfilled samples")
    ap.add_argument("--rate", type=float, default=0.2, help="requests/s per instance")
    ap.add_argument("--keep", type=Path, default=None, help="keep (and reuse) the TSDB here")
    ap.add_argument("--ranges", default="24,1", help="dashboard time ranges to load, in hours")
    args = ap.parse_args()
    promtool, prometheus = shutil.which("promtool"), shutil.which("prometheus")
    if not (promtool and prometheus and SHIPPED.exists()):
        raise SystemExit(f"needs promtool, prometheus and {SHIPPED}")

    steps = int(args.hours * 3600 / args.step)
    end = (int(time.time()) // 3600) * 3600 - 3600  # whole hours, clear of the head block
    start = end - steps * args.step
    tmp = Path(tempfile.mkdtemp(prefix="plano-bench-"))
    tsdb = args.keep or tmp / "tsdb"
    meta = tsdb / "bench.json"
    if meta.exists():
        kept = json.loads(meta.read_text())
        start, end = kept["start"], kept["end"]
        print(f"reusing the TSDB in {tsdb}\n")
    else:
        t0 = time.perf_counter()
        hist = history(Simulator(profile(args.providers, args.rate)), steps, args.step)
        om = tmp / "plano.om"
        lines = write_openmetrics(om, hist, args.instances, start, args.step)
        t1 = time.perf_counter()
        subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(om), str(tsdb)],
                       check=True, capture_output=True, timeout=3600)
        om.unlink()
        meta.write_text(json.dumps({"start": start, "end": end}))
        t2 = time.perf_counter()
        print(f"TSDB: {args.instances} instances x {args.providers} providers x {args.hours:g} h at "
              f"{args.step} s = {len(hist) * args.instances} series, {lines} samples "
              f"(generated in {t1 - t0:.0f} s, backfilled in {t2 - t1:.0f} s)\n")

    prom = Prometheus(prometheus, tsdb=tsdb,
                      extra_args=("--storage.tsdb.retention.time=3650d", "--query.max-samples=200000000"))
    prom.start(timeout=300)
    results: dict[float, dict[str, list[dict]]] = {}
    try:
        for hours in [float(h) for h in args.ranges.split(",")]:
            results[hours] = {}
            qstep = max(args.step, int(hours * 3600 / 500))  # Grafana: ~500 points on a panel
            rate_interval = f"{max(4 * args.step, qstep + args.step)}s"
            for data in compiler.build_all().values():
                ctx = Context(prom, None, end)
                variables = resolve_variables(ctx, data)  # "All", as Grafana expands it
                variables["listener"] = "0\\\\.0\\\\.0\\\\.0_12000"
                results[hours][data["uid"]] = measure(prom, data, variables, end - hours * 3600, end,
                                                      qstep, rate_interval, f"{int(hours * 3600)}s")
            shipped = json.loads(SHIPPED.read_text())
            results[hours]["plano-shipped"] = measure(prom, shipped, {}, end - hours * 3600, end,
                                                      qstep, rate_interval, f"{int(hours * 3600)}s")
    finally:
        prom.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    for hours, by_uid in results.items():
        report(hours, by_uid, args.step)


def report(hours: float, results: dict[str, list[dict]], step: int) -> None:
    qstep = max(step, int(hours * 3600 / 500))
    base = results["plano-shipped"]
    base_s = sum(r["seconds"] for r in base)
    base_n = sum(r["samples"] for r in base)
    per_panel_n = base_n / len(base)
    print(f"######## range {hours:g} h, step {qstep} s; ratios are to Plano's shipped dashboard "
          f"(same run)\n")
    for uid, rows in results.items():
        print(f"== {uid}")
        print(f"  {'panel':<64}{'eval ms':>9}{'samples':>12}{'x shipped/panel':>17}")
        for r in sorted(rows, key=lambda r: -r["samples"]):
            print(f"  {r['panel'][:63]:<64}{r['seconds'] * 1000:>9.1f}{r['samples']:>12}"
                  f"{r['samples'] / per_panel_n:>17.2f}")
        tot_s = sum(r["seconds"] for r in rows)
        tot_n = sum(r["samples"] for r in rows)
        print(f"  total: {len(rows)} queries, {tot_s * 1000:.0f} ms, {tot_n} samples; "
              f"x shipped dashboard: time {tot_s / base_s:.2f}, samples {tot_n / base_n:.2f}\n")


if __name__ == "__main__":
    main()
