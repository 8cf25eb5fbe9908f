"""Check 2, families: which catalogue families exist under the configured selectors, and
what each missing one empties.

A missing family is an ``error`` when its side is not scraped at all or a likely cause
(:mod:`.causes`, :mod:`.targets`) explains it: panels and alerts that read it are blind.
A family missing while its side is scraped and nothing explains it is ``info``: Envoy
creates per-status-code counters on the first such response and brightstaff every
labelled series on its first event, so an idle or healthy installation lacks some.
"""

from __future__ import annotations

from collections.abc import Sequence

from plano_grafana.doctor import names
from plano_grafana.doctor.context import Context
from plano_grafana.doctor.findings import Finding
from plano_grafana.model import catalogue as c


def missing(ctx: Context) -> dict[str, list[c.Metric]]:
    """Per side, the catalogue families with no series now under the config's selector."""
    return {side: [m for m in names.families(side) if not ctx.has(m)]
            for side in (names.ENVOY, names.BRIGHTSTAFF)}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def readers(deps: dict) -> str:
    """``read by plano-spend (4 panels), 2 recording rules, 1 alert``."""
    parts = []
    if deps["dashboards"]:
        parts.append(f"{', '.join(deps['dashboards'])} ({_plural(len(deps['panels']), 'panel')})")
    if deps["recording_rules"]:
        parts.append(_plural(len(deps["recording_rules"]), "recording rule"))
    if deps["alerts"]:
        parts.append(_plural(len(deps["alerts"]), "alert"))
    return "read by " + ", ".join(parts) if parts else "read by no selected dashboard or rule"


def check(ctx: Context, absent: dict[str, list[c.Metric]],
          explanations: Sequence[Finding]) -> list[Finding]:
    findings = []
    for side, families in absent.items():
        total = len(names.families(side))
        selector = names.selector(ctx.cfg, side)
        where = f" under [selectors] {side} = '{selector}'" if selector else ""
        findings.append(Finding("families", "info", f"{side}: {total - len(families)} of {total} "
                                f"catalogue families have series{where}"))
        scraped = ctx.has(names.LIVENESS[side])
        for metric in families:
            name = names.family_name(metric, ctx.cfg)
            deps = ctx.graph.dependents(metric.name)
            cause = next((f for f in explanations if metric.name in f.affects), None)
            if cause or not scraped:
                reason = cause.message if cause else f"{side} is not scraped"
                findings.append(Finding(
                    "families", "error", f"{name} missing ({readers(deps)})",
                    cause.fix if cause else "", {metric.name},
                    {"family": name, "cause": reason, **deps}))
            else:
                findings.append(Finding(
                    "families", "info", f"{name} has no series yet ({readers(deps)}): {side} "
                    "creates it on the first event it counts", "", (), {"family": name, **deps}))
    return findings
