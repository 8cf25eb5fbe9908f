"""One lint finding, for a dashboard or a rule file alike.

A finding names where the defect is (the dashboard uid or the rule file's name, then the
panel, or the group and the record or alert), the lint rule, and what is wrong, in one
line a person can act on:
``plano-output-tokens: panel 'TPOT p95': promql: could not parse expression: …``.
"""

from __future__ import annotations

import attr


@attr.s(frozen=True, order=True)
class Finding:
    source: str = attr.ib()  # dashboard uid, or rule file name
    place: str = attr.ib()  # "panel 'x'", "dashboard", "group 'g': alert A", or ""
    rule: str = attr.ib()  # the lint rule's name
    message: str = attr.ib()

    def __str__(self) -> str:
        return ": ".join(part for part in (self.source, self.place, self.rule, self.message)
                         if part)


def in_dashboard(dashboard: dict, panel: dict | None, rule: str, message: str) -> Finding:
    """A finding about a panel (by title, else id) or, without one, the whole dashboard."""
    if panel is None:
        place = "dashboard"
    else:
        title = panel.get("title", f"id {panel.get('id')}")
        place = f"panel {title!r}"
    return Finding(dashboard.get("uid") or dashboard.get("title", "?"), place, rule, message)


def in_rule_file(file: str, group: str, label: str, rule: str, message: str) -> Finding:
    """A finding about one record or alert (``label``) of a group of a rule file."""
    return Finding(file, f"group {group!r}: {label}", rule, message)
