"""Check 5, data: what the series themselves say is incomplete.

* Models with token traffic in the range and no price series: the spend dashboard
  leaves them out of every dollar figure (they show as "unpriced"). A ``warning``:
  a new model is legitimate until someone prices it. When no model with traffic has a
  price, the spend panels are empty, and this finding is their cause.
* With ``[fleet] label`` set, series without that label while others carry it: every
  panel filters ``label=~"$label"`` on the values found, so they fall out of every panel,
  an ``error``; no series with it at all is a ``warning`` (the variable is empty, panels
  show every installation as one).
"""

from __future__ import annotations

from plano_grafana.doctor import names
from plano_grafana.doctor.context import Context, name_regex
from plano_grafana.doctor.findings import Finding
from plano_grafana.doctor.targets import side_families
from plano_grafana.model import catalogue as c


def _unpriced(ctx: Context) -> list[Finding]:
    prices = names.family_name(c.BILLED, ctx.cfg)
    if not ctx.has(c.BILLED) or not ctx.has(c.BS_LLM_TOKENS):
        return []  # no tokens, or no price rules: the rules check says so
    tokens = names.family_name(c.BS_LLM_TOKENS, ctx.cfg)
    selector = names.selector(ctx.cfg, names.BRIGHTSTAFF)
    window = f"{round(ctx.range_seconds)}s"
    busy = f"group by (provider, model) (increase({tokens}{{{selector}}}[{window}]) > 0)"
    rows = ctx.query(f"{busy} unless on (provider, model) group by (provider, model) ({prices})")
    models = sorted(f"{r['metric'].get('provider', '')}/{r['metric'].get('model', '')}" for r in rows)
    if not models:
        return []
    # with no priced model in the traffic every spend figure is empty: this is their cause
    every = not ctx.query(f"{busy} and on (provider, model) group by (provider, model) ({prices})")
    tables = ", ".join(f'[prices."{m}"]' for m in models)
    return [Finding("data", "warning",
                    f"{len(models)} model(s) with tokens and no price, left out of every spend "
                    f"figure{' (no model with tokens has a price)' if every else ''}: "
                    f"{', '.join(models)}",
                    f"price them in plano-grafana.toml, {tables} with input = …, output = … (USD "
                    "per million tokens), then reload the price rules",
                    names.PRICES if every else (), {"models": models})]


def _fleet(ctx: Context) -> list[Finding]:
    label = ctx.cfg.fleet.label
    present = set().union(*ctx.present.values()) if ctx.present else set()
    if not label or not present:
        return []
    if not ctx.query(f'count({{__name__=~"{name_regex(present)}", {label}!=""}})'):
        return [Finding("data", "warning",
                        f"no Plano series carries the [fleet] label {label}: the {label} "
                        "variable is empty and every panel shows all installations as one",
                        f"give every Plano target the {label} label (a static label, "
                        "relabel_configs, or an external label per Prometheus), or unset it")]
    findings = []
    for side in (names.ENVOY, names.BRIGHTSTAFF):
        series = ctx.present.get(side, set())
        if not series:
            continue
        rows = ctx.query(f'count by (job) ({{__name__=~"{name_regex(series)}", {label}=""}})')
        for row in rows:
            job, count = row["metric"].get("job", ""), int(float(row["value"][1]))
            findings.append(Finding(
                "data", "error",
                f"{count} {side} series of job {job} have no {label} label ([fleet] label): "
                f"every panel filters {label}=~\"${label}\" on the values others carry, so "
                "they are in none",
                f"give the targets of job {job} the {label} label (a static label or "
                "relabel_configs, or an external label per Prometheus)",
                side_families(side), {"job": job, "series": count}))
    return findings


def check(ctx: Context) -> list[Finding]:
    return _unpriced(ctx) + _fleet(ctx)
