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

Recording rules: the package's ``recording.yaml``, compiled with the backfill step as the
scrape interval (so each recorded rate spans 4 steps, the same window as the raw
dashboards' ``$__rate_interval`` at 24 h), is evaluated over the whole TSDB with
``promtool tsdb create-blocks-from rules`` (one evaluation per step, timed) and the blocks
are added to the TSDB. The dashboards are then measured twice, raw and with
``recording_rules = true`` (``<uid>@recorded``), next to the shipped dashboard. Finally every
rule of ``recording.yaml`` and ``alerts.yaml`` is run once as an instant query at the end
of the range: what one evaluation of the rule files reads and costs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attr
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import slo_windows  # noqa: E402
from plano_grafana import pipeline  # noqa: E402
from plano_grafana.build import rules_compiler  # noqa: E402
from plano_grafana.build.expand import expand  # noqa: E402
from plano_grafana.lint.walk import query_panels  # noqa: E402
from plano_grafana.model import config  # noqa: E402
from plano_grafana.simulate.profiles import Profile, Provider  # noqa: E402
from plano_grafana.simulate.simulator import Simulator  # noqa: E402
from tests.support.backfill import create_blocks, history, write_openmetrics  # noqa: E402
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


def _target(side: str, n: int) -> tuple[str, str]:
    """job and instance of the n-th simulated installation's Envoy or brightstaff."""
    return ("plano", f"plano-{n:02d}:19901") if side == "envoy" else ("brightstaff", f"plano-{n:02d}:9092")


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
    ap.add_argument("--rules-only", action="store_true",
                    help="skip the dashboards: rule files and SLO windows only")
    ap.add_argument("--instance-offset", type=int, default=0,
                    help="steps by which each instance's history runs ahead of the previous "
                         "one's (0: every instance replays the same history, bursts included)")
    ap.add_argument("--accuracy-step", type=int, default=1800,
                    help="seconds between the points where derived and raw SLO ratios are compared")
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
        extra = (args.instances - 1) * args.instance_offset
        hist = history(Simulator(profile(args.providers, args.rate)), steps + extra, args.step)
        om = tmp / "plano.om"
        lines = write_openmetrics(om, hist, args.instances, start, args.step, _target,
                                  args.instance_offset)
        t1 = time.perf_counter()
        create_blocks(promtool, om, tsdb)
        om.unlink()
        meta.write_text(json.dumps({"start": start, "end": end}))
        t2 = time.perf_counter()
        print(f"TSDB: {args.instances} instances x {args.providers} providers x {args.hours:g} h at "
              f"{args.step} s = {len(hist) * args.instances} series, {lines} samples "
              f"(generated in {t1 - t0:.0f} s, backfilled in {t2 - t1:.0f} s)\n")

    raw_cfg = config.DEFAULT
    rec_cfg = attr.evolve(config.DEFAULT, scrape_interval=float(args.step), recording_rules=True)
    extra = ("--storage.tsdb.retention.time=3650d", "--query.max-samples=200000000")
    prom = Prometheus(prometheus, tsdb=tsdb, extra_args=extra)
    prom.start(timeout=300)
    results: dict[float, dict[str, list[dict]]] = {}
    try:
        for key, groups in (("recording_rules",
                             rules_compiler.build_all(rec_cfg)["recording.yaml"]["groups"]),
                            ("slo_base_records", slo_windows.base_groups(rec_cfg))):
            prom, backfilled = backfill_rules(prom, promtool, tsdb, groups, key, start, end,
                                              args.step)
            if backfilled is not None:
                print(f"{key} backfilled over {args.hours:g} h at one evaluation per "
                      f"{args.step} s with promtool tsdb create-blocks-from rules: "
                      f"{backfilled:.0f} s\n")
        builds = {"": pipeline.build(raw_cfg), "@recorded": pipeline.build(rec_cfg)}
        for hours in ([] if args.rules_only else [float(h) for h in args.ranges.split(",")]):
            results[hours] = {}
            qstep = max(args.step, int(hours * 3600 / 500))  # Grafana: ~500 points on a panel
            rate_interval = f"{max(4 * args.step, qstep + args.step)}s"
            for suffix, dashboards in builds.items():
                for data in dashboards.values():
                    ctx = Context(prom, None, end)
                    variables = resolve_variables(ctx, data)  # "All", as Grafana expands it
                    variables["listener"] = "0\\\\.0\\\\.0\\\\.0_12000"
                    results[hours][data["uid"] + suffix] = measure(
                        prom, data, variables, end - hours * 3600, end, qstep, rate_interval,
                        f"{int(hours * 3600)}s")
            shipped = json.loads(SHIPPED.read_text())
            results[hours]["plano-shipped"] = measure(prom, shipped, {}, end - hours * 3600, end,
                                                      qstep, rate_interval, f"{int(hours * 3600)}s")
        evaluation = rule_costs(prom, rec_cfg, end)
        slo = [slo_windows.evaluation(lambda e: best_cost(prom, e, end), rules)
               for rules in (slo_windows.today_rules(rec_cfg), slo_windows.now_rules(rec_cfg))]
        accuracy = slo_windows.accuracy(prom, rec_cfg, start, end, args.accuracy_step)
    finally:
        prom.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    for hours, by_uid in results.items():
        report(hours, by_uid, args.step)
        compare(hours, by_uid)
    report_rules(evaluation, args)
    slo_windows.report(*slo, accuracy, args)


def backfill_rules(prom: Prometheus, promtool: str, tsdb: Path, groups: list[dict], key: str,
                   start: int, end: int, step: int) -> tuple[Prometheus, float | None]:
    """Evaluate the record rules of ``groups`` over the TSDB into new blocks; returns the
    (restarted) Prometheus and the seconds taken, or None when the TSDB already holds these
    very rules' output (``--keep``; ``key`` names them in bench.json).

    ``promtool tsdb create-blocks-from rules`` evaluates through the query API, so a rule
    that reads another rule's record (the per-model quantiles read the recorded buckets)
    needs that record in the TSDB first: rules are backfilled in dependency levels, with a
    restart in between that loads the new blocks.
    """
    text = yaml.safe_dump(groups, sort_keys=True)
    meta_path = tsdb / "bench.json"
    meta = json.loads(meta_path.read_text())
    digest = hashlib.sha256(text.encode()).hexdigest()
    if meta.get(key) == digest:
        print(f"reusing the backfilled {key} in the TSDB\n")
        return prom, None
    pending = [(g["name"], r) for g in groups for r in g["rules"]]
    seconds = 0.0
    while pending:
        waiting = {r["record"] for _, r in pending}
        level = [(g, r) for g, r in pending if not any(w in r["expr"] for w in waiting)]
        pending = [x for x in pending if x not in level]
        work = Path(tempfile.mkdtemp(prefix="plano-bench-rules-"))
        try:
            groups: dict[str, list] = {}
            for group, rule in level:
                groups.setdefault(group, []).append(rule)
            (work / "level.yaml").write_text(yaml.safe_dump(
                {"groups": [{"name": g, "rules": r} for g, r in groups.items()]}, sort_keys=False))
            t0 = time.perf_counter()
            subprocess.run([promtool, "tsdb", "create-blocks-from", "rules", f"--start={start}",
                            f"--end={end}", f"--eval-interval={step}s", f"--url={prom.url}",
                            f"--output-dir={work / 'blocks'}", str(work / "level.yaml")],
                           check=True, capture_output=True, timeout=7200)
            seconds += time.perf_counter() - t0
            for block in (work / "blocks").iterdir():
                if block.is_dir():
                    shutil.move(str(block), tsdb / block.name)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        prom.stop()  # a restart loads the new blocks
        prom = Prometheus(prom.binary, tsdb=tsdb, extra_args=prom.extra_args)
        prom.start(timeout=300)
    meta[key] = digest
    meta_path.write_text(json.dumps(meta))
    return prom, seconds


def best_cost(prom: Prometheus, expr: str, at: int) -> dict:
    """Best of three instant queries at ``at`` (the machine is shared and noisy)."""
    best = None
    for _ in range(3):
        c = cost(prom, expr, at, at, 1, True)
        best = c if best is None or c["seconds"] < best["seconds"] else best
    return best


def rule_costs(prom: Prometheus, cfg, at: int) -> dict[str, list[dict]]:
    """One evaluation of every rule (its expr as an instant query at ``at``), per file."""
    out: dict[str, list[dict]] = {}
    for name, data in rules_compiler.build_all(cfg).items():
        rows = []
        for group in data["groups"]:
            for rule in group["rules"]:
                rows.append({"rule": rule.get("record") or rule["alert"],
                             **best_cost(prom, rule["expr"], at)})
        out[name] = rows
    return out


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


def compare(hours: float, results: dict[str, list[dict]]) -> None:
    """Raw vs recording-rule dashboards, side by side, against the shipped one."""
    base = results["plano-shipped"]
    base_s = sum(r["seconds"] for r in base)
    per_panel = sum(r["samples"] for r in base) / len(base)
    print(f"######## range {hours:g} h: raw vs recording_rules = true (same run)\n")
    print(f"  {'dashboard':<22}{'mode':<10}{'queries':>8}{'eval ms':>10}{'samples':>12}"
          f"{'x shipped time':>16}{'max x shipped/panel':>21}")
    for uid in sorted(u for u in results if "@" not in u and u != "plano-shipped"):
        for mode, key in (("raw", uid), ("recorded", uid + "@recorded")):
            rows = results[key]
            tot_s = sum(r["seconds"] for r in rows)
            worst = max(rows, key=lambda r: r["samples"])
            print(f"  {uid:<22}{mode:<10}{len(rows):>8}{tot_s * 1000:>10.0f}"
                  f"{sum(r['samples'] for r in rows):>12}{tot_s / base_s:>16.2f}"
                  f"{worst['samples'] / per_panel:>21.2f}   ({worst['panel'][:40]})")
    print()


def report_rules(evaluation: dict[str, list[dict]], args) -> None:
    print(f"######## one evaluation of the rule files at the end of the range "
          f"({args.instances} instances x {args.providers} providers)\n")
    for name, rows in evaluation.items():
        tot_s = sum(r["seconds"] for r in rows)
        tot_n = sum(r["samples"] for r in rows)
        top = sorted(rows, key=lambda r: -r["samples"])[:5]
        print(f"  {name}: {len(rows)} rules, {tot_s * 1000:.0f} ms, {tot_n} samples read, "
              f"{sum(r['series'] for r in rows)} series written")
        for r in top:
            print(f"    {r['rule'][:70]:<72}{r['seconds'] * 1000:>8.1f} ms{r['samples']:>12}")
    print()


if __name__ == "__main__":
    main()
