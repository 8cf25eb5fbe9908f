"""The catalogue -> queries graph: which families each panel, recording rule and alert reads.

Read from the PromQL syntax tree of what was compiled (dashboard targets with their
variables expanded, rule expressions), never from titles: a selector's name is looked
up in the catalogue's series index, and a recorded series (one of the compiled
recording rules, or a ``level:metric:rateW`` name) counts as the families its rule
reads. A panel's *needs* are

* the family names it reads, and those its template variables list their values from
  (``$bs_job`` from ``brightstaff_build_info``: without it the variable is empty and so is
  every panel that filters by it),
* ``rate:<family>`` for those read through a ``$__rate_interval`` window (emptied when
  that window holds fewer than two scrapes),
* ``record:<name>`` for each recorded series it reads (emptied when the rule is not
  loaded).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import attr
import promql_parser as pp

from plano_grafana.build.expand import expand
from plano_grafana.build.queries import recorded_from
from plano_grafana.lint import syntax
from plano_grafana.model.catalogue import Metric

#: Labels a selector always carries from the dashboard's variables or the config: a
#: literal value on any other label (``kind="cache_read"``, 5xx) picks a condition.
_SCOPE_LABELS = frozenset({"job", "instance", "service", "__name__"})
_COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})
_FILTERS = frozenset({"unless", "and"})
_PLACEHOLDER = "doctor_variable"
#: A query variable's ``label_values(selector, label)`` (Grafana's Prometheus variable query).
_LABEL_VALUES = re.compile(r"^label_values\((?:(.*),\s*)?(\w+)\)$")


class _Seen(dict):
    """Variables mapping that remembers which names an expansion asked for."""

    def __init__(self, names: Iterable[str]):
        super().__init__((n, _PLACEHOLDER) for n in names)
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)


def referenced(expr: str, names: Iterable[str]) -> set[str]:
    """The dashboard variables an expression uses, as Grafana's expansion finds them."""
    seen = _Seen(names)
    try:
        expand(expr, seen)
    except KeyError:
        pass
    return seen.asked


@attr.s(frozen=True)
class PanelNeeds:
    """One panel of a compiled dashboard and what its targets read."""

    uid: str = attr.ib()
    title: str = attr.ib()
    panel: dict = attr.ib(eq=False)
    needs: frozenset[str] = attr.ib(converter=frozenset)
    #: the expression filters (``unless``, ``and``, a comparison, a literal label value):
    #: empty is a legitimate answer when the condition did not occur
    condition: bool = attr.ib(default=False)


@attr.s(frozen=True)
class RuleNeeds:
    kind: str = attr.ib()  # "record" or "alert"
    name: str = attr.ib()
    group: str = attr.ib()
    families: frozenset[str] = attr.ib(converter=frozenset)


@attr.s
class Graph:
    """Panels and rules with the families they read, and the reverse lookups."""

    panels: list[PanelNeeds] = attr.ib(factory=list)
    rules: list[RuleNeeds] = attr.ib(factory=list)

    #: "uid: $name" -> the families a query variable lists its values from
    variables: dict[str, frozenset[str]] = attr.ib(factory=dict)

    def panels_of(self, family: str) -> list[PanelNeeds]:
        return [p for p in self.panels if family in p.needs]

    def rules_of(self, family: str, kind: str) -> list[RuleNeeds]:
        return [r for r in self.rules if r.kind == kind and family in r.families]

    def records(self) -> set[str]:
        return {r.name for r in self.rules if r.kind == "record"}

    def dependents(self, family: str) -> dict:
        """What a missing family empties: dashboards and panels, recording rules, alerts."""
        panels = self.panels_of(family)
        return {"dashboards": sorted({p.uid for p in panels}),
                "panels": [f"{p.uid}: {p.title}" for p in panels],
                "recording_rules": sorted({r.name for r in self.rules_of(family, "record")}),
                "alerts": sorted({r.name for r in self.rules_of(family, "alert")}),
                "variables": sorted(v for v, fams in self.variables.items() if family in fams)}


def data_panels(dashboard: dict) -> list[dict]:
    """Panels with targets, rows' nested panels included, in dashboard order."""
    out = []
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            out += [p for p in panel.get("panels", []) if p.get("targets")]
        elif panel.get("targets"):
            out.append(panel)
    return out


def _placeholders(dashboard: dict) -> dict[str, str]:
    return {v.get("name", ""): _PLACEHOLDER for v in dashboard.get("templating", {}).get("list", [])}


def is_family(need: str) -> bool:
    """A need that is a family name (not ``rate:…`` or ``record:…``; prices have colons)."""
    return not need.startswith(("rate:", "record:"))


class _Reader:
    """Names in a tree -> needs, given the series index and the compiled records."""

    def __init__(self, index: Mapping[str, Metric], records: Mapping[str, frozenset[str]],
                 scope_labels: frozenset[str]):
        self.index = index
        self.records = records
        self.scope = _SCOPE_LABELS | scope_labels

    def family(self, name: str) -> str | None:
        metric = self.index.get(name)
        return metric.name if metric else None

    def needs(self, tree: pp.Expr) -> set[str]:
        out: set[str] = set()
        for name in syntax.metric_names(tree):
            out |= self._needs_of(name)
        for node in syntax.nodes(tree):
            if isinstance(node, pp.MatrixSelector) and \
                    syntax.duration_name(node.range) == "$__rate_interval":
                name = syntax.selector_name(node.vector_selector)
                out |= {f"rate:{f}" for f in self._needs_of(name or "") if is_family(f)}
        return out

    def filters(self, tree: pp.Expr) -> bool:
        """Whether the expression keeps only what meets a condition (see PanelNeeds)."""
        for node in syntax.nodes(tree):
            if isinstance(node, pp.BinaryExpr):
                op = syntax.op(node)
                returns_bool = bool(node.modifier and node.modifier.return_bool)
                if op in _FILTERS or (op in _COMPARISONS and not returns_bool):
                    return True
            if isinstance(node, pp.VectorSelector):
                if any(m.name not in self.scope and m.value and _PLACEHOLDER not in m.value
                       for m in node.matchers.matchers):
                    return True
        return False

    def _needs_of(self, name: str) -> set[str]:
        family = self.family(name)
        if family:
            return {family}
        if name in self.records:
            return {f"record:{name}", *self.records[name]}
        raw = recorded_from(name)
        if raw and self.family(raw):
            return {f"record:{name}", self.family(raw)}
        return set()


def _variable_families(dashboard: dict, reader: _Reader,
                       variables: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """Each query variable's families: its selector's, and those of the variables it uses."""
    out: dict[str, frozenset[str]] = {}
    for var in dashboard.get("templating", {}).get("list", []):
        query = var.get("query")
        query = query.get("query", "") if isinstance(query, dict) else str(query or "")
        match = _LABEL_VALUES.match(query.strip()) if var.get("type") == "query" else None
        if not match or not match.group(1):
            continue
        try:
            tree = syntax.parse_grafana(match.group(1), variables)
        except (syntax.PromQLError, KeyError):
            continue
        families = {n for n in reader.needs(tree) if is_family(n)}
        for name in referenced(match.group(1), variables):
            families |= out.get(name, frozenset())
        out[var.get("name", "")] = frozenset(families)
    return out


def build(dashboards: Iterable[dict], rule_files: Mapping[str, dict], index: Mapping[str, Metric],
          scope_labels: Iterable[str] = ()) -> Graph:
    """The graph of compiled ``dashboards`` and ``rule_files`` (``{file: {"groups": …}}``).

    ``index`` maps every series name (``x_bucket``…) to its family, with the config's
    names; ``scope_labels`` are the labels the config's selectors and fleet label add.
    """
    graph = Graph()
    records: dict[str, frozenset[str]] = {}
    reader = _Reader(index, records, frozenset(scope_labels))
    for data in rule_files.values():
        for group in data.get("groups", []):
            for rule in group.get("rules", []):
                try:
                    tree = syntax.parse(rule.get("expr", ""))
                except syntax.PromQLError:
                    continue
                families = frozenset(n for n in reader.needs(tree) if is_family(n))
                kind = "record" if "record" in rule else "alert"
                name = rule.get("record") or rule.get("alert", "")
                if kind == "record":  # rules are ordered: a record is read after it is made
                    records[name] = records.get(name, frozenset()) | families
                graph.rules.append(RuleNeeds(kind, name, group.get("name", ""), families))
    for dashboard in dashboards:
        variables = _placeholders(dashboard)
        listed = _variable_families(dashboard, reader, variables)
        graph.variables.update({f"{dashboard.get('uid', '')}: ${n}": f for n, f in listed.items()})
        for panel in data_panels(dashboard):
            needs: set[str] = set()
            condition = False
            for target in panel.get("targets", []):
                try:
                    tree = syntax.parse_grafana(target.get("expr", ""), variables)
                except (syntax.PromQLError, KeyError):
                    continue
                needs |= reader.needs(tree)
                condition = condition or reader.filters(tree)
                for name in referenced(target.get("expr", ""), variables):
                    needs |= listed.get(name, frozenset())
            graph.panels.append(PanelNeeds(dashboard.get("uid", ""), panel.get("title", ""),
                                           panel, needs, condition))
    return graph
