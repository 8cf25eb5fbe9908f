"""SLO objectives of the burn-rate alerts, and their per-provider and per-model overrides.

``[slo]`` sets the objectives every provider shares; ``[slo.providers.NAME]`` and
``[slo.models."provider/model"]`` override any of them for one provider (brightstaff's
``provider`` label, and Envoy's ``envoy_cluster_name`` of the same name) or one model
(brightstaff's ``provider`` and ``model`` labels). Providers differ: a 2.5 s TTFT objective
that suits a small fast model pages on a healthy long-context one.

A model override inherits what it does not set from its provider's override, which
inherits from ``[slo]``. How the rules split the traffic so that every request counts in
exactly one objective is :mod:`plano_grafana.build.rules.sli`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attr

#: The keys an override may set (the same names as in ``[slo]``).
KEYS = ("availability_objective", "ttft_objective", "ttft_threshold_seconds", "min_events")
#: Events the long window of a burn-rate alert must hold before it may fire (see
#: docs/runbooks.md, "The minimum-events guard").
DEFAULT_MIN_EVENTS = 100


@attr.s(frozen=True, slots=True)
class Objectives:
    """One set of objectives; in an override, ``None`` means "inherit"."""

    availability_objective: float | None = attr.ib(default=None)
    ttft_objective: float | None = attr.ib(default=None)
    ttft_threshold_seconds: float | None = attr.ib(default=None)
    min_events: int | None = attr.ib(default=None)

    def over(self, base: Objectives) -> Objectives:
        """These objectives where set, ``base``'s elsewhere."""
        return Objectives(**{k: getattr(base, k) if getattr(self, k) is None else getattr(self, k)
                             for k in KEYS})

    def set_keys(self) -> tuple[str, ...]:
        return tuple(k for k in KEYS if getattr(self, k) is not None)


def parse_min_events(reader: Any, table: Mapping, where: str, default: int | None) -> int | None:
    """A whole number of events, at least 1."""
    value = table.get("min_events", default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        reader.fail(where, "min_events", f"expected a whole number >= 1, got {value!r}")
    return value


def parse_override(reader: Any, table: Mapping, where: str) -> Objectives:
    """One ``[slo.providers.NAME]`` or ``[slo.models."p/m"]`` table."""
    reader.keys(table, where, set(KEYS))
    values: dict[str, Any] = {}
    for name in ("availability_objective", "ttft_objective"):
        if name in table:
            values[name] = reader.number(table, where, name, 0.0, lo=0, hi=1, open_lo=True,
                                         open_hi=True)
    if "ttft_threshold_seconds" in table:
        values["ttft_threshold_seconds"] = reader.number(table, where, "ttft_threshold_seconds",
                                                         0.0, open_lo=True)
    values["min_events"] = parse_min_events(reader, table, where, None)
    return Objectives(**values)


def parse_overrides(reader: Any, slo: Mapping) -> tuple[dict[str, Objectives],
                                                         dict[str, Objectives]]:
    """``(providers, models)`` from ``[slo]``; model keys must read ``provider/model``."""
    providers = {name: parse_override(reader, reader.table(slo["providers"], name, "slo.providers"),
                                      f"slo.providers.{name}")
                 for name in sorted(reader.table(slo, "providers", "slo"))}
    models = {}
    for key in sorted(reader.table(slo, "models", "slo")):
        where = f'slo.models."{key}"'
        provider, _, model = key.partition("/")
        if not provider or not model:
            reader.fail("slo.models", f'"{key}"', 'expected a key "provider/model" as brightstaff '
                                                  "labels it (e.g. \"anthropic/claude-opus-4\")")
        models[key] = parse_override(reader, reader.table(slo["models"], key, "slo.models"), where)
    return providers, models


def to_toml_lines(providers: Mapping[str, Objectives], models: Mapping[str, Objectives],
                  value: Any) -> list[str]:
    """The override tables as TOML (``value`` formats one value)."""
    lines: list[str] = []
    for title, table in ([(f"[slo.providers.{n}]", o) for n, o in sorted(providers.items())]
                         + [(f'[slo.models."{k}"]', o) for k, o in sorted(models.items())]):
        lines.append(title)
        lines += [f"{k} = {value(getattr(table, k))}" for k in table.set_keys()]
        lines.append("")
    return lines
