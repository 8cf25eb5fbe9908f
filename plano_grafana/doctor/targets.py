"""Check 1, targets: are Plano's targets in ``up``, up, selected, scraped as often as the
config says?

A side (Envoy's admin, brightstaff) is recognised by what its jobs export or, for a target
that never answered, by where it is scraped (``/stats`` is Envoy's admin, ``/metrics`` on
:9092 brightstaff's): job names are the operator's to choose.
"""

from __future__ import annotations

from plano_grafana.doctor import names
from plano_grafana.doctor.context import Context, Target
from plano_grafana.doctor.findings import Finding
from plano_grafana.model import durations
from plano_grafana.model.catalogue import Kind

_LABEL = {names.ENVOY: "Envoy admin", names.BRIGHTSTAFF: "brightstaff"}
_CONFIG_HINT = ("plano-grafana prometheus-config --envoy-target HOST:19901 "
                "--brightstaff-target HOST:9092 prints the scrape jobs")


PLAIN_TEXT_FIX = ("add `params: {format: [prometheus]}` to the scrape job (or metrics_path: "
                  "/stats/prometheus)")


def plain_text(target: Target) -> bool:
    """Envoy's admin scraped at /stats without format=prometheus: its plain-text format."""
    return target.path == "/stats" and target.params.get("format") != ["prometheus"]


def side_families(side: str) -> frozenset[str]:
    return frozenset(m.name for m in names.families(side))


def rate_families(side: str) -> frozenset[str]:
    """``rate:<family>`` for a side's counters and histograms (what rate windows read)."""
    return frozenset(f"rate:{m.name}" for m in names.families(side)
                     if m.kind in (Kind.COUNTER, Kind.HISTOGRAM))


def _absent(ctx: Context, side: str) -> list[Finding]:
    label = _LABEL[side]
    return [Finding("targets", "error", f"no {label} target in up: Prometheus scrapes no "
                    f"{'Envoy admin /stats' if side == names.ENVOY else 'brightstaff /metrics'}",
                    f"add a scrape job for it ({_CONFIG_HINT})", side_families(side))]


def _unselected(ctx: Context, side: str, targets: list[Target]) -> list[Finding]:
    """``[selectors] <side>`` matchers that no target of the side carries in ``up``."""
    selector = names.selector(ctx.cfg, side)
    if not selector or not targets:
        return []
    # series may carry labels up lacks (metric_relabel_configs): only when neither matches
    if ctx.present.get(side) or ctx.query(f"up{{{selector}}}"):
        return []
    sample = targets[0].labels
    for matcher in names.matchers(selector):
        if ctx.query(f"up{{{matcher}}}"):
            continue
        label = names.labels_of(matcher)[0]
        has = (f"carry {label}={sample[label]!r}" if label in sample
               else f"have no {label} label (they have: {', '.join(sorted(sample))})")
        return [Finding("targets", "error",
                        f"[selectors] {side} matcher {matcher} matches no target in up: the "
                        f"{_LABEL[side]} targets {has}",
                        f"set [selectors] {side} to matchers these targets carry, or remove it",
                        side_families(side))]
    return [Finding("targets", "error", f"[selectors] {side} = '{selector}' matches no target "
                    f"in up (each matcher does alone, not all together)",
                    f"set [selectors] {side} to matchers the {_LABEL[side]} targets carry",
                    side_families(side))]


def _down(side: str, targets: list[Target]) -> list[Finding]:
    down = [t for t in targets if t.health == "down"]
    everyone = len(down) == len(targets)
    out = []
    for t in down:
        error = t.last_error or "no answer"
        fix = (PLAIN_TEXT_FIX if plain_text(t) else
               f"make {t.scrape_url or t.instance} answer: is Plano running and the port "
               "published to where Prometheus runs?")
        out.append(Finding("targets", "error", f"{_LABEL[side]} target {t.name()} is down: {error}",
                           fix, side_families(side) if everyone else ()))
    return out


def _interval(ctx: Context, side: str, targets: list[Target]) -> list[Finding]:
    want = ctx.cfg.scrape_interval
    found = sorted({t.interval for t in targets if t.interval})
    out = []
    for interval in found:
        if abs(interval - want) < 1e-9:
            continue
        jobs = sorted({t.job for t in targets if t.interval == interval})
        # $__rate_interval is at least 4 config intervals: fewer than 2 scrapes fit when
        # Prometheus scrapes more than twice as slowly, and rates come out empty
        short = interval > 2 * want
        effect = (f": $__rate_interval (at least {durations.text(4 * want)}) holds fewer than two "
                  "scrapes, so rate panels are empty" if short else "")
        out.append(Finding(
            "targets", "warning",
            f"Prometheus scrapes {_LABEL[side]} (job {', '.join(jobs)}) every {durations.text(interval)}, "
            f"the config's scrape_interval is {durations.text(want)}{effect}",
            f"set scrape_interval = {interval:g} in plano-grafana.toml and redeploy (the rule "
            "windows and the datasource's timeInterval follow it)",
            rate_families(side) if short else ()))
    return out


def check(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    if not ctx.targets_api:
        findings.append(Finding("targets", "info", "Prometheus has no /api/v1/targets (Thanos "
                                "Query, Mimir?): targets judged from up alone, scrape intervals "
                                "not compared", ""))
    for side in (names.ENVOY, names.BRIGHTSTAFF):
        targets = ctx.side_targets(side)
        if not targets:
            findings += _absent(ctx, side)
            continue
        findings += _unselected(ctx, side, targets)
        findings += _down(side, targets)
        findings += _interval(ctx, side, targets)
    return findings
