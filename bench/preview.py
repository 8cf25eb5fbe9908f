"""Rendering time of ``plano-grafana preview`` per dashboard, once Prometheus has data.

Starts the end-to-end stack (simulator scraped every second by a real Prometheus),
waits ``--wait`` seconds, then renders every dashboard ``--repeat`` times in two
settings from the same run: ``make preview``'s (range = the data collected, 1 s
scrape) and the CLI default (last 1 h, 15 s scrape interval). Printed per dashboard:
panels, targets, the median time spent querying Prometheus and drawing, and the total
against the 30 s budget for all dashboards on this 2-core machine.

    .venv/bin/python -m bench.preview [--wait 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from plano_grafana import pipeline  # noqa: E402
from plano_grafana import preview as pv  # noqa: E402
from plano_grafana.model import config  # noqa: E402
from plano_grafana.simulate.profiles import Profile  # noqa: E402
from tests.support.stack import Stack  # noqa: E402

BUDGET = 30.0


def measure(url: str, dashboards: list[dict], range_s: float, scrape_s: float, repeat: int) -> dict:
    """uid -> (query seconds, draw seconds), medians over ``repeat`` runs."""
    runs: dict[str, list] = {}
    with tempfile.TemporaryDirectory(prefix="plano-preview-bench-") as out:
        for _ in range(repeat):
            for s in pv.preview(dashboards, url, Path(out), range_seconds=range_s, scrape_seconds=scrape_s):
                runs.setdefault(s.uid, []).append((s.query_seconds, s.draw_seconds))
    return {uid: (statistics.median(q for q, _ in r), statistics.median(d for _, d in r))
            for uid, r in runs.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wait", type=float, default=60, help="seconds of data before measuring")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    prometheus = shutil.which("prometheus")
    if not prometheus:
        raise SystemExit("needs Debian's prometheus on PATH")
    dashboards = list(pipeline.build(config.DEFAULT).values())
    targets = {d["uid"]: sum(len(p.get("targets", [])) for p in d["panels"]) for d in dashboards}
    panels = {d["uid"]: sum(p["type"] != "row" for p in d["panels"]) for d in dashboards}
    stack = Stack(prometheus, profiles=[Profile(rate=60, seed=7)]).start()
    try:
        stack.ready(args.wait)  # polls until that much traffic is scraped
        settings = [(f"make preview: last {args.wait:g} s, 1 s scrape", args.wait, 1.0),
                    ("CLI default: last 1 h, 15 s scrape", 3600.0, 15.0)]
        for name, range_s, scrape_s in settings:
            result = measure(stack.prom.url, dashboards, range_s, scrape_s, args.repeat)
            print(f"== {name} (median of {args.repeat})")
            print(f"  {'dashboard':26} {'panels':>6} {'targets':>7} {'query s':>8} {'draw s':>7} "
                  f"{'total s':>8}")
            total = 0.0
            for uid, (q, d) in sorted(result.items()):
                total += q + d
                print(f"  {uid:26} {panels[uid]:6d} {targets[uid]:7d} {q:8.2f} {d:7.2f} {q + d:8.2f}")
            print(f"  {'all dashboards':26} {sum(panels.values()):6d} {sum(targets.values()):7d} "
                  f"{'':8} {'':7} {total:8.2f}")
            print(f"  budget {BUDGET:.0f} s: total / budget = {total / BUDGET:.2f}\n")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
