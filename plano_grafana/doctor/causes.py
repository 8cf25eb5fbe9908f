"""Check 2b, likely causes: why families are missing, each a finding with its fix.

Each cause is recognised from what Prometheus holds, not guessed from the symptom:

* brightstaff not scraped at all (no target exports ``brightstaff_build_info``): in
  ``planoai up --docker`` mode the container publishes 12001 and 19901 only
  (``cli/planoai/docker_cli.py``), never brightstaff's 9092;
* Envoy's admin scraped at ``/stats`` without ``format=prometheus``: Envoy answers in its
  plain-text format, which Prometheus cannot parse;
* families that exist under another name: a ``metric_relabel_configs`` rule or an
  OpenTelemetry collector added a prefix (brightstaff's has a config key);
* families that exist, but not with the labels a ``[selectors]`` matcher asks for;
* a provider whose dotted ``base_url`` host makes Envoy file its cluster stats as
  ``envoy_cluster_<rest of the host>_*`` (Plano issue #504).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from plano_grafana.doctor import names
from plano_grafana.doctor.context import BRIGHTSTAFF_PORT, Context
from plano_grafana.doctor.findings import Finding
from plano_grafana.doctor.targets import PLAIN_TEXT_FIX, plain_text, side_families
from plano_grafana.errors import PlanoGrafanaError
from plano_grafana.model import catalogue as c
from plano_grafana.model import plano_config

_DOCKER_FIX = ("in `planoai up --docker` mode the container publishes only 12001 and 19901 "
               "(cli/planoai/docker_cli.py), not brightstaff's :9092: publish it (-p 9092:9092) "
               "or scrape the container on its network (plano:9092), then add the job "
               "(plano-grafana prometheus-config --brightstaff-target HOST:9092)")
_CLUSTER_PREFIX = "envoy_cluster_"


def _docker(ctx: Context) -> bool:
    """Envoy's admin scraped as ``planoai up --docker`` publishes it (19901 -> 9901)."""
    return any(t.port == 19901 or "host.docker.internal" in t.instance
               for t in ctx.side_targets(names.ENVOY))


def _brightstaff_not_scraped(ctx: Context) -> list[Finding]:
    targets = ctx.side_targets(names.BRIGHTSTAFF)
    refused = targets and all(t.health == "down" and "refused" in t.last_error for t in targets)
    if targets and not refused:
        return []
    mode = " (Envoy's admin is scraped on :19901, the docker mode's port)" if _docker(ctx) else ""
    what = (f"nothing listens on brightstaff's :{BRIGHTSTAFF_PORT} where Prometheus looks"
            if refused else "no job scrapes brightstaff's /metrics")
    return [Finding("causes", "error", f"brightstaff is not scraped: {what}{mode}",
                    _DOCKER_FIX, side_families(names.BRIGHTSTAFF))]


def _plain_text(ctx: Context) -> list[Finding]:
    envoy = ctx.side_targets(names.ENVOY)
    plain = [t for t in envoy if plain_text(t)]
    return [Finding(
        "causes", "error",
        f"Envoy target {t.name()} is scraped at /stats without format=prometheus: Envoy answers "
        "in its plain-text format, which Prometheus cannot parse"
        + (f" ({t.last_error})" if t.last_error else ""),
        PLAIN_TEXT_FIX, side_families(names.ENVOY) if len(plain) == len(envoy) else ())
        for t in plain]


def _renamed(ctx: Context, side: str, missing: list[c.Metric]) -> list[Finding]:
    """Missing families whose series exist under another name: a prefix added (or removed)."""
    index = names.index(ctx.cfg)
    by_prefix: dict[str, list[str]] = defaultdict(list)
    example: dict[str, str] = {}
    for metric in missing:
        for series in metric.all_series():
            found = sorted(n for n in ctx.names if n.endswith(series) and n not in index)
            if found:
                prefix = found[0][: -len(series)]
                by_prefix[prefix].append(metric.name)
                example.setdefault(prefix, found[0])
                break
    out = []
    for prefix, families in sorted(by_prefix.items(), key=lambda kv: -len(kv[1])):
        expected = names.prefix(ctx.cfg, side) + families[0]
        if side == names.BRIGHTSTAFF:
            fix = (f'set [metrics] brightstaff_prefix = "{prefix}" in plano-grafana.toml' if prefix
                   else "remove [metrics] brightstaff_prefix: the series carry no prefix")
        else:
            fix = ("undo the rename (metric_relabel_configs, collector): the dashboards read "
                   "Envoy's own names; only brightstaff's have a prefix key")
        out.append(Finding(
            "causes", "error",
            f"{len(families)} {side} families exist under another name, e.g. {example[prefix]} "
            f"for {expected}: a metric_relabel_configs rule or an OpenTelemetry collector "
            "renamed them", fix, families, {"prefix": prefix, "families": sorted(families)}))
    return out


def _unselected(ctx: Context, side: str, missing: list[c.Metric]) -> list[Finding]:
    """Missing families that exist without the config's selector: name the matcher."""
    selector = names.selector(ctx.cfg, side)
    if not selector:
        return []
    index = names.index(ctx.cfg)
    exists = [m for m in missing if any(s in ctx.names and s in index
                                        for s in names.series_names(m, ctx.cfg))]
    if not exists:
        return []
    series = next(s for s in names.series_names(exists[0], ctx.cfg) if s in ctx.names)
    families = [m.name for m in exists]
    for matcher in names.matchers(selector):
        if ctx.query(f"count({series}{{{matcher}}})"):
            continue
        label = names.labels_of(matcher)[0]
        values = sorted({r["metric"].get(label, "") for r in ctx.query(f"group by ({label}) ({series})")})
        has = (f"carry {label} = {', '.join(values)}" if any(values)
               else f"have no {label} label")
        return [Finding("causes", "error",
                        f"[selectors] {side} matcher {matcher} excludes {len(families)} {side} "
                        f"families that exist: their series {has}",
                        f"set [selectors] {side} to matchers the series carry, or remove it",
                        families, {"matcher": matcher, "families": sorted(families)})]
    return [Finding("causes", "error", f"[selectors] {side} = '{selector}' excludes "
                    f"{len(families)} {side} families that exist (no series meets all matchers)",
                    f"set [selectors] {side} to matchers the series carry", families)]


def _cluster_stats() -> list[str]:
    stats = [m.name[len(_CLUSTER_PREFIX):] for m in c.CATALOGUE.values()
             if m.source is c.Source.ENVOY_CLUSTER]
    return sorted(stats, key=len, reverse=True)


def _providers(ctx: Context) -> list[plano_config.PlanoProvider]:
    if not ctx.cfg.plano_config:
        return []
    try:
        return plano_config.load(Path(ctx.cfg.plano_config))
    except PlanoGrafanaError:
        return []


def _mangled(ctx: Context) -> list[Finding]:
    """Cluster stats filed under ``envoy_cluster_<rest>_<stat>`` (Plano issue #504)."""
    index = names.index(ctx.cfg)
    rests: dict[str, list[str]] = defaultdict(list)
    for name in sorted(ctx.names):
        if not name.startswith(_CLUSTER_PREFIX) or name in index:
            continue
        for stat in _cluster_stats():
            if name.endswith("_" + stat) and len(name) > len(_CLUSTER_PREFIX) + len(stat) + 1:
                rests[name[len(_CLUSTER_PREFIX): -len(stat) - 1]].append(name)
                break
    providers = _providers(ctx)
    affects = [m.name for m in c.CATALOGUE.values() if m.source is c.Source.ENVOY_CLUSTER]
    # Envoy's own sub-scopes (cluster.<name>.internal.upstream_rq_2xx, external, canary)
    # look alike, but their cluster also has its proper stats; a mangled one has none
    proper = {r["metric"].get("envoy_cluster_name", "") for r in ctx.query(
        f"group by (envoy_cluster_name) ({c.UPSTREAM_RQ_TOTAL.name})")}
    out = []
    for rest, found in sorted(rests.items()):
        heads = sorted({r["metric"].get("envoy_cluster_name", "")
                        for r in ctx.query(f"group by (envoy_cluster_name) ({found[0]})")} - proper)
        if not heads:
            continue
        known = [p for p in providers if p.mangled and p.stat_prefix == f"{_CLUSTER_PREFIX}{rest}_"]
        if known:
            who = ", ".join(sorted({f"{p.provider} (cluster {p.cluster})" for p in known}))
            alt = known[0].alt_stat_name
        else:
            head = heads[0] if heads else "?"
            who = f"cluster {head}.{rest.replace('_', '.')} (dots guessed from the stat name)"
            alt = f"{head}_{rest}"
        out.append(Finding(
            "causes", "error",
            f"provider {who}: Envoy files its cluster stats as {_CLUSTER_PREFIX}{rest}_* with "
            f"envoy_cluster_name={', '.join(heads) or '?'} (Plano #504), so it is missing from "
            "every per-provider-cluster panel",
            f"set alt_stat_name: {alt} on that cluster in Plano's Envoy config (Plano #504), or "
            "give base_url a host name without dots", affects,
            {"stat_names": found, "alt_stat_name": alt}))
    return out


def check(ctx: Context, missing: dict[str, list[c.Metric]]) -> list[Finding]:
    findings = _brightstaff_not_scraped(ctx) + _plain_text(ctx)
    for side, families in missing.items():
        findings += _renamed(ctx, side, families)
        findings += _unselected(ctx, side, families)
    return findings + _mangled(ctx)
