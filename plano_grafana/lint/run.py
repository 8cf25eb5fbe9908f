"""Run the registered rules over dashboards or rule files, under the config being linted.

The config arrives as an argument: the series recorded by the rule modules and the
windows a rule file must respect are those of *that* config (``--config``), never a
default one.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping

from plano_grafana.build import rules as rule_modules
from plano_grafana.lint import promtool as runner
from plano_grafana.lint import rules as _registered  # noqa: F401  (registers every rule)
from plano_grafana.lint.finding import Finding
from plano_grafana.lint.registry import Context, RuleFile, rules_for
from plano_grafana.lint.walk import rule_entries
from plano_grafana.model.catalogue import series_index
from plano_grafana.model.config import Config
from plano_grafana.model.windows import Windows


def recorded_series(cfg: Config) -> frozenset[str]:
    """Series that the package's recording rules write (``level:metric:op``) under ``cfg``."""
    names: set[str] = set()
    for module in rule_modules.MODULES:
        for group in importlib.import_module(module).groups(cfg):
            names |= {r["record"] for r in group.get("rules", []) if "record" in r}
    return frozenset(names)


def _context(cfg: Config, recorded: frozenset[str], promtool: bool) -> Context:
    return Context(recorded, Windows.of(cfg), runner.require() if promtool else None,
                   frozenset(series_index(cfg.metrics.brightstaff_prefix)))


def dashboards(items: Iterable[dict], cfg: Config, *, promql: bool = True) -> list[Finding]:
    """Every dashboard rule's findings, sorted; ``promql`` needs promtool (refused without)."""
    items = list(items)
    ctx = _context(cfg, recorded_series(cfg), promql)
    findings: list[Finding] = []
    for r in rules_for("dashboards"):
        findings.extend(r.check(items, ctx))
    for r in rules_for("dashboard"):
        for d in items:
            findings.extend(r.check(d, ctx))
    return sorted(findings)


def rule_files(files: Mapping[str, dict], cfg: Config, *, promtool: bool = True) -> list[Finding]:
    """Every rule-file rule's findings for a compiled rule set (file name -> groups), sorted;
    the series the set records are known to its own rules."""
    items = [RuleFile(name, data) for name, data in sorted(files.items())]
    recorded = frozenset(r["record"] for f in items for _, r, _ in rule_entries(f.data)
                         if "record" in r)
    ctx = _context(cfg, recorded, promtool)
    findings: list[Finding] = []
    for r in rules_for("rule files"):
        findings.extend(r.check(items, ctx))
    for r in rules_for("rule file"):
        for f in items:
            findings.extend(r.check(f, ctx))
    return sorted(findings)
