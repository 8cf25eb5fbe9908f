"""How long ``plano-grafana doctor`` takes on all five dashboards (goal: under 10 s).

Starts the end-to-end stack (the simulator scraped every second by a real Prometheus with
the package's rule files loaded), waits until Prometheus holds ``--samples`` scrapes of
every target (a readiness poll, not a sleep), then diagnoses every dashboard ``--repeat``
times, healthy and with brightstaff renamed by a wrong ``[metrics] brightstaff_prefix`` (every
brightstaff panel then empty, each cause probed). Printed: the median time, the requests
doctor sent to Prometheus, and the panels and targets it ran.

    .venv/bin/python -m bench.doctor [--samples 60] [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from plano_grafana import doctor, pipeline  # noqa: E402
from plano_grafana.build import rules_compiler  # noqa: E402
from plano_grafana.model import config  # noqa: E402
from plano_grafana.preview import query  # noqa: E402
from plano_grafana.simulate.profiles import HEALTHY_PROVIDERS, Profile  # noqa: E402
from tests.conftest import rule_file  # noqa: E402
from tests.support.stack import Stack  # noqa: E402

GOAL = 10.0


class Counting:
    """Counts the requests every ``Prometheus`` client sends while it is installed."""

    def __init__(self):
        self.requests = 0
        self._api = query.Prometheus.api

    def __enter__(self) -> Counting:
        counter = self

        def api(client, path, **params):
            counter.requests += 1
            return counter._api(client, path, **params)

        query.Prometheus.api = api
        return self

    def __exit__(self, *exc) -> None:
        query.Prometheus.api = self._api


def measure(url: str, cfg, repeat: int) -> tuple[float, int, object]:
    dashboards = list(pipeline.build(cfg).values())
    rules = rules_compiler.build_all(cfg)
    times, result, requests = [], None, 0
    for _ in range(repeat):
        with Counting() as counting:
            began = time.perf_counter()
            result = doctor.diagnose(dashboards, rules, cfg, url)
            times.append(time.perf_counter() - began)
        requests = counting.requests
    return statistics.median(times), requests, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=60, help="scrapes per target before measuring")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if not prometheus:
        raise SystemExit("needs Debian's prometheus on PATH")
    dashboards = list(pipeline.build(config.DEFAULT).values())
    targets = sum(len(p.get("targets", [])) for d in dashboards for p in d["panels"])
    with tempfile.TemporaryDirectory(prefix="plano-doctor-bench-") as tmp:
        # the healthy providers without the dotted base_url one (Plano #504, an error)
        providers = tuple(p for p in HEALTHY_PROVIDERS if "." not in p.cluster)
        stack = Stack(prometheus, profiles=[Profile(rate=60, seed=7, providers=providers)],
                      promtool=promtool,
                      rule_files=[rule_file(Path(tmp))], settle=0).start()
        try:
            stack.prom.wait_for(f"min(count_over_time(up[5m])) >= {args.samples}", timeout=300)
            cases = {"healthy": config.DEFAULT,
                     "wrong prefix": config.parse({"metrics": {"brightstaff_prefix": "otel_"}})}
            print(f"doctor on {len(dashboards)} dashboards, {targets} targets; Prometheus "
                  f"{stack.prom.url} with {args.samples}+ scrapes per target; median of "
                  f"{args.repeat}\n")
            print(f"{'case':<14}{'seconds':>9}{'requests':>10}{'panels':>8}{'empty':>7}"
                  f"{'errors':>8}  goal < {GOAL:g} s")
            for name, cfg in cases.items():
                seconds, requests, report = measure(stack.prom.url, cfg, args.repeat)
                empty = sum(p.status == "empty" for p in report.panels)
                print(f"{name:<14}{seconds:>9.2f}{requests:>10}{len(report.panels):>8}{empty:>7}"
                      f"{report.count('error'):>8}  {'met' if seconds < GOAL else 'MISSED'}")
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
