"""Grafana's field overrides: which series a rule matches, and what the rule changes.

A panel's ``fieldConfig`` holds ``defaults`` and a list of ``overrides``, each a matcher
and properties. Grafana starts every field (here: every series) from the defaults and
then applies each matching rule in order, later rules winning
(``applyFieldOverrides`` in ``packages/grafana-data/src/field/fieldOverrides.ts``). The
preview does the same, so the picture shows what Grafana shows: the spend panel's
unpriced token rates on their own right axis, not stacked on the dollars.

Matchers (``packages/grafana-data/src/transformations/matchers/nameMatcher.ts``,
``fieldTypeMatcher.ts``):

- ``byFrameRefID``: every series of the query with that ``refId`` (exact);
- ``byName``: the series whose display name (its legend) is the option;
- ``byNames``: any of ``names``; ``mode: exclude`` inverts;
- ``byRegexp``: the display name tested against ``stringToJsRegex(pattern)``: ``/re/flags``
  searched anywhere, a bare pattern anchored ``^…$``;
- ``byType``: ``number`` (every series is numbers; ``time`` matches none of them).

An unknown matcher matches nothing, as Grafana's registry finds no matcher for it.

Properties (``setDynamicConfigValue`` in ``fieldOverrides.ts``): ``custom.X`` sets
``custom.X``, anything else the top-level key; a null value removes the key; ``min``,
``max`` and ``decimals`` go through ``numberOverrideProcessor`` (a number, or removed when
it is not one). The timeseries panel reads ``unit``, ``decimals``, ``min``, ``max``,
``color``, ``custom.axisPlacement``, ``custom.stacking``, ``custom.lineStyle``,
``custom.lineWidth``, ``custom.fillOpacity`` and ``custom.hideFrom``.
"""

from __future__ import annotations

import copy
import math
import re

from plano_grafana.preview.query import js_regex

_NUMERIC = frozenset({"min", "max", "decimals"})


def matches(matcher: dict, ref_id: str, name: str) -> bool:
    """Whether a rule's ``matcher`` selects the series ``name`` of query ``ref_id``."""
    kind, option = matcher.get("id"), matcher.get("options")
    if kind == "byFrameRefID":
        return ref_id == option
    if kind == "byName":
        return name == option
    if kind == "byNames":
        options = option if isinstance(option, dict) else {}
        found = name in (options.get("names") or [])
        return not found if options.get("mode") == "exclude" else found
    if kind == "byRegexp":
        if not option:
            return False
        try:
            pattern, _ = js_regex(str(option))
        except re.error:  # Grafana logs a bad pattern and matches nothing
            return False
        return pattern.search(name) is not None
    if kind == "byType":
        return option == "number"
    return False


def _number(value) -> float | None:
    """``numberOverrideProcessor``: a number, or None (remove) for anything else."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def set_property(config: dict, prop: dict) -> None:
    """One override property applied to a field's config, in place."""
    key = str(prop.get("id", ""))
    if not key:
        return
    value = prop.get("value")
    if key in _NUMERIC:
        value = _number(value)
    path = key.split(".")
    target = config
    for part in path[:-1]:
        nested = target.get(part)
        if not isinstance(nested, dict):
            if value is None:
                return
            nested = target[part] = {}
        target = nested
    if value is None:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = copy.deepcopy(value)


def field_config(field_config_: dict, ref_id: str, name: str) -> dict:
    """The config Grafana gives one series: the defaults, then every matching override."""
    config = copy.deepcopy(field_config_.get("defaults") or {})
    for rule in field_config_.get("overrides") or []:
        if matches(rule.get("matcher") or {}, ref_id, name):
            for prop in rule.get("properties") or []:
                set_property(config, prop)
    return config
