"""Expand Grafana's variables in a PromQL expression, as Grafana does before it queries.

Used by the linter (to hand real PromQL to promtool) and by the end-to-end tests (to
run each panel's query against a real Prometheus). Multi-value variables with "All"
selected expand to an alternation of their values, as Grafana's Prometheus datasource
does when a variable has no custom "all value".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from plano_grafana.model import durations

_VAR = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")


def regex_alternation(values: Iterable[str]) -> str:
    """``(a|b)`` with regex metacharacters escaped, as Grafana formats multi-values."""
    escaped = [re.sub(r"([\\^$.|?*+()\[\]{}])", r"\\\\\1", v) for v in values]
    if not escaped:
        return ""
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def expand(expr: str, variables: Mapping[str, str], *, rate_interval: str = "1m",
           range_: str = "1h", interval: str = "15s") -> str:
    """Replace ``$__rate_interval``, ``$__range``, ``$__interval`` and ``$var``/``${var}``.

    An unknown variable raises ``KeyError`` naming it, so a typo in a panel is caught.
    """
    builtins = {"__rate_interval": rate_interval, "__range": range_, "__interval": interval,
                "__rate_interval_ms": str(round(durations.seconds(rate_interval) * 1000))}

    def sub(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        if name in builtins:
            return builtins[name]
        if name not in variables:
            raise KeyError(f"unknown template variable ${name}")
        return variables[name]

    return _VAR.sub(sub, expr)
