"""Template variables resolved as Grafana resolves them, for whatever runs a dashboard's
queries without Grafana: ``preview`` and the end-to-end proof share this one resolver.

In order, as Grafana refreshes them: a query variable asks ``label_values(selector,
label)`` (the selector with the variables before it expanded) and applies its ``regex``
the way Grafana's ``metricNamesToVariableValues`` does -- not as a filter: a named group
``value`` (or ``text``) becomes the value, else a match with any capture group becomes its
first group, even when that group took no part in the match (JavaScript's ``undefined``,
kept here as ""). So ``/^(?!(a|b)$).+$/`` turns every value into "" in Grafana, and only
``(?:a|b)`` filters. Sources: grafana/grafana
``public/app/features/variables/query/reducer.ts`` (``metricNamesToVariableValues``,
``getAllMatches``), the same function in grafana/scenes
``packages/scenes/src/variables/variants/query/utils.ts`` (dashboards in Grafana 11+), and
``stringToJsRegex`` in ``packages/grafana-data/src/text/string.ts`` (``/pattern/flags``,
else the text anchored ``^…$``).

The value is the saved selection when the options still hold it, else All: the
alternation of every non-empty option, as when no custom all-value is set.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

import attr

from plano_grafana.build.expand import expand, regex_alternation

_LABEL_VALUES = re.compile(r"^label_values\((?:(.*),\s*)?(\w+)\)$")
_JS_REGEX = re.compile(r"/(.*?)/(g?i?m?y?s?)", re.S)

#: ``(label, selector or None) -> values``: how the caller asks Prometheus (or a double).
LabelValues = Callable[[str, "str | None"], list[str]]


def js_regex(text: str) -> tuple[re.Pattern, bool]:
    """Grafana's ``stringToJsRegex`` in Python: (pattern, global flag)."""
    match = _JS_REGEX.fullmatch(text)
    pattern, flags = (match.group(1), match.group(2)) if match else (f"^{text}$", "")
    pattern = re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", pattern)  # JS named groups
    options = ((re.I if "i" in flags else 0) | (re.M if "m" in flags else 0)
               | (re.S if "s" in flags else 0))
    return re.compile(pattern, options), "g" in flags


def _all_matches(pattern: re.Pattern, global_: bool, value: str) -> list[re.Match]:
    """Grafana's ``getAllMatches``: one ``exec``, or with ``g`` every match until one is empty."""
    found: list[re.Match] = []
    pos = 0
    while (m := pattern.search(value, pos)) is not None:
        found.append(m)
        if not global_ or m.group(0) == "":
            break
        pos = m.end()
    return found


def apply_regex(regex: str, values: Iterable[str]) -> list[str]:
    """A query variable's regex applied to its values as Grafana applies it (sorted, unique)."""
    if not regex:
        return sorted(set(values))
    pattern, global_ = js_regex(regex)
    out: list[str] = []
    for value in values:
        matches = _all_matches(pattern, global_, value)
        if not matches:
            continue
        named = [m.groupdict() for m in matches]
        by_value = next((g["value"] for g in named if g.get("value")), None)
        by_text = next((g["text"] for g in named if g.get("text")), None)
        if by_value or by_text:
            out.append(by_value or by_text)
        elif pattern.groups and len(matches) > 1:
            out += [m.group(1) or "" for m in matches]
        elif pattern.groups:
            out.append(matches[0].group(1) or "")
        else:
            out.append(value)
    return sorted(set(out))


@attr.s(frozen=True)
class Resolved:
    """One variable: what it asked, the options it offers and the PromQL text it expands to."""

    name: str = attr.ib()
    kind: str = attr.ib()
    value: str = attr.ib()
    options: tuple[str, ...] = attr.ib(default=())
    selector: str | None = attr.ib(default=None)  # of label_values, variables expanded
    label: str | None = attr.ib(default=None)  # None: a query that is not label_values
    regex: str = attr.ib(default="")
    fixed: bool = attr.ib(default=False)  # the caller chose the value

    @property
    def values(self) -> list[str]:
        """The options a person can pick: an option the regex emptied is no value."""
        return [o for o in self.options if o]


def _saved(var: dict) -> list[str]:
    value = (var.get("current") or {}).get("value", [])
    value = value if isinstance(value, list) else [value]
    return [v for v in value if v not in ("$__all", "")]


def _query(var: dict) -> str:
    query = var.get("query")
    return query.get("query", "") if isinstance(query, dict) else str(query or "")


def resolve(dashboard: dict, label_values: LabelValues, fixed: Mapping[str, str] | None = None,
            *, saved: bool = True) -> list[Resolved]:
    """Every variable in order. ``fixed`` sets a variable's PromQL value as a URL's
    ``var-x=`` would; ``saved=False`` opens every query variable on All."""
    out: list[Resolved] = []
    values: dict[str, str] = {}
    for var in dashboard.get("templating", {}).get("list", []):
        name, kind = var.get("name", ""), var.get("type", "")
        if fixed and name in fixed:
            item = Resolved(name, kind, fixed[name], fixed=True)
        elif kind == "query":
            item = _query_variable(var, values, label_values, saved)
        elif kind == "custom":
            options = tuple(o.strip() for o in _query(var).split(",") if o.strip())
            item = _choose(Resolved(name, kind, "", options), var, saved)
        elif kind in ("constant", "textbox"):
            item = Resolved(name, kind, _query(var))
        else:  # datasource, interval, adhoc: not part of the PromQL text
            item = Resolved(name, kind, "")
        values[name] = item.value
        out.append(item)
    return out


def _query_variable(var: dict, values: Mapping[str, str], label_values: LabelValues,
                    saved: bool) -> Resolved:
    regex = (var.get("regex") or "").strip()
    match = _LABEL_VALUES.match(_query(var).strip())
    if not match:
        return Resolved(var.get("name", ""), "query", "", regex=regex)
    selector = expand(match.group(1), values) if match.group(1) else None
    label = match.group(2)
    options = tuple(apply_regex(regex, label_values(label, selector)))
    return _choose(Resolved(var.get("name", ""), "query", "", options, selector, label, regex),
                   var, saved)


def _choose(item: Resolved, var: dict, saved: bool) -> Resolved:
    chosen = [v for v in _saved(var) if v in item.options] if saved else []
    return attr.evolve(item, value=regex_alternation([v for v in chosen or item.options if v]))


def values(resolved: Iterable[Resolved]) -> dict[str, str]:
    """name -> PromQL text, for :func:`plano_grafana.build.expand.expand`."""
    return {r.name: r.value for r in resolved}
