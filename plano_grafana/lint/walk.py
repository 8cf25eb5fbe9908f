"""Walking what the rules read: a compiled dashboard's panels and targets, a rule file's
records and alerts, and the PromQL syntax tree of each expression.

An expression that does not parse yields no tree: the promtool rules (``promql`` for
dashboards, ``promtool`` for rule files) report it, so the rules that read meaning stay
silent about it rather than repeat the parse error.
"""

from __future__ import annotations

from collections.abc import Iterator

import promql_parser as pp

from plano_grafana.lint import syntax


def panels(dashboard: dict) -> Iterator[dict]:
    """Every panel, rows included, nested row panels too."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def query_panels(dashboard: dict) -> Iterator[dict]:
    """Every panel that queries (not a row)."""
    return (p for p in panels(dashboard) if p.get("type") != "row")


def variables(dashboard: dict) -> dict[str, str]:
    """Values that make every template variable expand to valid PromQL."""
    return {v["name"]: ".*" for v in dashboard.get("templating", {}).get("list", [])}


def target_trees(dashboard: dict, panel: dict, values: dict[str, str] | None = None
                 ) -> Iterator[tuple[dict, pp.Expr]]:
    """(target, syntax tree) of each of the panel's targets that parses (``values``: the
    dashboard's :func:`variables`, when the caller has them already)."""
    values = variables(dashboard) if values is None else values
    for target in panel.get("targets", []):
        try:
            yield target, syntax.parse_grafana(target.get("expr", ""), values)
        except (syntax.PromQLError, KeyError):
            continue


def rule_entries(data: dict) -> Iterator[tuple[str, dict, str]]:
    """(group name, rule, ``record x`` or ``alert X``) of every rule of a rule file."""
    for group in data.get("groups", []):
        for entry in group.get("rules", []):
            label = f"alert {entry['alert']}" if "alert" in entry else f"record {entry.get('record')}"
            yield group.get("name", "?"), entry, label


def rule_trees(data: dict) -> Iterator[tuple[str, dict, str, pp.Expr]]:
    """:func:`rule_entries` with the syntax tree of each expression that parses."""
    for group, entry, label in rule_entries(data):
        try:
            yield group, entry, label, syntax.parse(str(entry.get("expr", "")))
        except syntax.PromQLError:
            continue
