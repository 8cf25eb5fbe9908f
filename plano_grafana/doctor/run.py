"""One doctor run: the checks in their order, over what Prometheus answered once."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from plano_grafana.doctor import (
    causes,
    context,
    data,
    families,
    graph,
    names,
    panels,
    rules,
    targets,
    versions,
)
from plano_grafana.doctor.findings import Report
from plano_grafana.errors import PlanoGrafanaError
from plano_grafana.model.config import Config
from plano_grafana.preview import select
from plano_grafana.preview.query import Prometheus, PrometheusUnreachable


class Unreachable(PlanoGrafanaError):
    """Prometheus did not answer: nothing can be diagnosed (exit 2, apart from findings)."""

    exit_code = 2


def diagnose(dashboards: Iterable[dict], rule_files: Mapping[str, dict], cfg: Config,
             prometheus_url: str, *, uids: Iterable[str] = (), range_seconds: float = 3600,
             end: float | None = None) -> Report:
    """Every check against ``prometheus_url`` for the compiled ``dashboards`` (those of
    ``uids``, default all) and ``rule_files``, both compiled under ``cfg``.

    Raises :class:`Unreachable` when Prometheus does not answer, before any check.
    """
    chosen = select(dashboards, uids)
    prom = Prometheus(prometheus_url)
    try:
        prom.check()
        end = time.time() if end is None else end
        deps = graph.build(chosen, rule_files, names.index(cfg), names.scope_labels(cfg))
        ctx = context.gather(prom, cfg, deps, end, range_seconds)
        found = targets.check(ctx)
        absent = families.missing(ctx)
        explained = causes.check(ctx, absent)
        found += families.check(ctx, absent, [*explained, *found]) + explained
        found += versions.check(ctx) + rules.check(ctx, rule_files) + data.check(ctx)
        statuses = panels.check(ctx, chosen, found)
    except PrometheusUnreachable as exc:
        raise Unreachable(str(exc)) from None
    return Report(prom.url, found, statuses)
