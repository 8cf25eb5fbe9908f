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
    return _check("dashboard", list(items), _context(cfg, recorded_series(cfg), promql))


def rule_files(files: Mapping[str, dict], cfg: Config, *, promtool: bool = True) -> list[Finding]:
    """Every rule-file rule's findings for a compiled rule set (file name -> groups), sorted;
    the series the set records are known to its own rules."""
    items = [RuleFile(name, data) for name, data in sorted(files.items())]
    recorded = frozenset(r["record"] for f in items for _, r, _ in rule_entries(f.data)
                         if "record" in r)
    return _check("rule file", items, _context(cfg, recorded, promtool))


def _check(kind: str, items: list, ctx: Context) -> list[Finding]:
    """The findings of the rules over the whole set (``kind`` + "s") and of those over
    each item (``kind``), sorted."""
    findings = [f for r in rules_for(f"{kind}s") for f in r.check(items, ctx)]
    findings += [f for r in rules_for(kind) for item in items for f in r.check(item, ctx)]
    return sorted(findings)
