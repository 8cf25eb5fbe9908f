"""Check 4, rules: what ``/api/v1/rules`` says Prometheus has loaded and how it evaluates.

Compared with the rule files this package compiles for the same config:

* the price constants (``plano-prices``): without them every spend panel is empty, an
  ``error`` when a selected dashboard reads them;
* the recording rules: an ``error`` when ``recording_rules = true`` (the dashboards
  read the recorded series), a ``warning`` otherwise;
* the alerts: a ``warning`` (an installation may alert by other means);
* every rule whose last evaluation failed: an ``error`` (it records nothing, or the
  alert cannot fire).
"""

from __future__ import annotations

from collections.abc import Mapping

from plano_grafana.doctor.context import Context
from plano_grafana.doctor.findings import Finding
from plano_grafana.doctor.names import PRICES
from plano_grafana.preview.query import QueryError

_LOAD = ("write the rule files with `plano-grafana rules` and add {files} to Prometheus's "
         "rule_files, then reload it")


def _expected(rule_files: Mapping[str, dict]) -> dict[str, dict[str, set[str]]]:
    """``{kind: {file: names}}`` for kind ``price``, ``record``, ``alert``."""
    out: dict[str, dict[str, set[str]]] = {"price": {}, "record": {}, "alert": {}}
    for file, data in sorted(rule_files.items()):
        for group in data.get("groups", []):
            for rule in group.get("rules", []):
                name = rule.get("record") or rule.get("alert", "")
                kind = "alert" if "alert" in rule else "price" if name in PRICES else "record"
                out[kind].setdefault(file, set()).add(name)
    return out


def _loaded(ctx: Context) -> list[dict] | None:
    try:
        groups = ctx.prom.api("rules").get("groups", [])
    except QueryError:
        return None
    return [dict(rule, group=g.get("name", "")) for g in groups for rule in g.get("rules", [])]


def _price_readers(ctx: Context) -> list[str]:
    return sorted({p.uid for p in ctx.graph.panels if p.needs & PRICES})


def check(ctx: Context, rule_files: Mapping[str, dict]) -> list[Finding]:
    loaded = _loaded(ctx)
    if loaded is None:
        return [Finding("rules", "info", "Prometheus has no /api/v1/rules: rules not checked")]
    names = {r.get("name", "") for r in loaded}
    expected = _expected(rule_files)
    findings = []
    price_files = sorted(expected["price"])
    if price_files and not names & PRICES:
        readers = _price_readers(ctx)
        findings.append(Finding(
            "rules", "error" if readers else "info",
            "the price constants are not loaded (no rule records plano:llm_*_usd_per_token)"
            + (f": every spend panel of {', '.join(readers)} is empty" if readers else ""),
            _LOAD.format(files=", ".join(price_files)), PRICES))
    for kind in ("record", "alert"):
        files = sorted(f for f, wanted in expected[kind].items() if wanted - names)
        absent = sorted({n for f in files for n in expected[kind][f] - names})
        if not absent:
            continue
        if kind == "record":
            reads = ctx.cfg.recording_rules
            findings.append(Finding(
                "rules", "error" if reads else "warning",
                f"{len(absent)} recording rules are not loaded"
                + (" and the dashboards read them (recording_rules = true)" if reads else
                   " (the dashboards do not read them: recording_rules = false)"),
                _LOAD.format(files=", ".join(files)), {f"record:{n}" for n in absent},
                {"rules": absent}))
        else:
            findings.append(Finding(
                "rules", "warning", f"{len(absent)} alerts are not loaded: they cannot fire",
                _LOAD.format(files=", ".join(files)), (), {"rules": absent}))
    for rule in loaded:
        if rule.get("health") == "err" or rule.get("lastError"):
            name = rule.get("name", "")
            findings.append(Finding(
                "rules", "error", f"rule {name} (group {rule['group']}) fails to evaluate: "
                f"{rule.get('lastError', 'error')}",
                "fix the rule's expression, or regenerate the rule files for this config",
                {f"record:{name}"} if rule.get("type") == "recording" else ()))
    return findings
