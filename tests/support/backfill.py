"""Simulated history written into a TSDB with ``promtool tsdb create-blocks-from openmetrics``.

A simulator stepped by hand (not its background thread) gives one value per step for
every series; the values are written as OpenMetrics with explicit timestamps, each series
name its own ``unknown`` family (OpenMetrics would append ``_total`` to counters, and
Envoy's names must stay exactly as Plano exports them), and promtool turns them into
blocks a Prometheus started on that folder serves: an hour (or a day) of scrapes without
waiting for them. Used by the Prometheus cost bench and the doctor's fault matrix.
"""

from __future__ import annotations

import math
import subprocess
from collections.abc import Callable
from pathlib import Path

from plano_grafana.model.catalogue import Kind
from plano_grafana.model.numbers import fmt_number
from plano_grafana.simulate.simulator import Simulator

#: (side, series name, labels) -> one value per step; side is "envoy" or "brightstaff".
History = dict[tuple, list[float]]


def history(sim: Simulator, steps: int, step: float) -> History:
    """(side, series name, labels) -> one value per step, for one instance."""
    out: History = {}
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


def write_openmetrics(path: Path, hist: History, instances: int, start: float, step: float,
                      target: Callable[[str, int], tuple[str, str]], offset: int = 0) -> int:
    """Every series of ``hist`` for ``instances`` copies, labelled ``job``/``instance`` by
    ``target(side, n)``; returns the number of samples written. With ``offset``, copy ``n``
    replays the history from step ``n * offset`` on (a process that has run that much
    longer), so the copies' bursts do not land on the same scrape; ``hist`` must then hold
    ``(instances - 1) * offset`` steps more than are written."""
    by_name: dict[str, list] = {}
    for (kind, name, labels), values in hist.items():
        by_name.setdefault(name, []).append((kind, labels, values))
    length = len(next(iter(hist.values()))) - (instances - 1) * offset
    lines = 0
    with open(path, "w") as f:
        for name in sorted(by_name):
            f.write(f"# TYPE {name} unknown\n")
            for n in range(instances):
                for kind, labels, values in by_name[name]:
                    job, instance = target(kind, n)
                    tags = ",".join([f'job="{job}"', f'instance="{instance}"',
                                     *(f'{k}="{v}"' for k, v in labels)])
                    mine = values[n * offset:n * offset + length]
                    chunk = [f"{name}{{{tags}}} {fmt_number(v)} {fmt_number(start + i * step)}\n"
                             for i, v in enumerate(mine) if not math.isnan(v)]
                    f.writelines(chunk)
                    lines += len(chunk)
        f.write("# EOF\n")
    return lines


def create_blocks(promtool: str, openmetrics: Path, tsdb: Path, timeout: float = 3600) -> None:
    tsdb.mkdir(parents=True, exist_ok=True)
    subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(openmetrics), str(tsdb)],
                   check=True, capture_output=True, timeout=timeout)
